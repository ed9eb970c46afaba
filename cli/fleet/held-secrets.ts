// The secret values each host of a fleet holds (its shared/.secrets.env and shared/.env, with the
// copies a deploy keeps beside them), read over the fleet's connections into one mask: what a
// fleet command shows of a host's output (an app's log, its environment in jlist or describe)
// goes out with them as `***`. No secret command runs on this machine for it.
import { parseKeyValues } from '../deploy/commands.js';
import type { RemotePaths } from '../deploy/remote-paths.js';
import { heldValuesLines, heldValuesOf, SecretMask } from '../deploy/secret-mask.js';
import type { RemoteConnection } from '../transport/types.js';

/** How long reading a host's secrets may take. */
const READ_TIMEOUT_MS = 15_000;

/** The mask of every value the connected hosts hold; a host whose files cannot be read adds none (its output is what it is). */
export async function readHeldMask(paths: RemotePaths, connections: readonly RemoteConnection[]): Promise<SecretMask> {
  const mask = new SecretMask();
  await Promise.all(
    connections.map(async (connection) => {
      const result = await connection.exec(heldValuesLines(paths.secretsFile, paths.envFile).join('; '), { timeoutMs: READ_TIMEOUT_MS }).catch(() => null);
      if (result?.code === 0) mask.learn(heldValuesOf(parseKeyValues(result.stdout)));
    }),
  );
  return mask;
}
