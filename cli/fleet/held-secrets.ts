// The secret values each host of a fleet holds (its shared/.secrets.env and shared/.env, with the
// copies a deploy keeps beside them), read over the fleet's connections into one mask: what a
// fleet command shows of a host's output (an app's log, its environment in jlist or describe)
// goes out with them as `***`. No secret command runs on this machine for it. A host whose files
// cannot be read adds nothing to the mask, and is named in a warning: its output may show them.
import { parseKeyValues } from '../deploy/commands.js';
import type { RemotePaths } from '../deploy/remote-paths.js';
import { heldValuesLines, heldValuesOf, SecretMask } from '../deploy/secret-mask.js';
import { quote } from '../transport/quote.js';
import type { RemoteConnection } from '../transport/types.js';

/** How long reading a host's secrets may take. */
const READ_TIMEOUT_MS = 15_000;

/** The mask of every value the connected hosts hold, and a warning for each host whose files could not be read. */
export async function readHeldMask(paths: RemotePaths, connections: readonly { host: string; connection: RemoteConnection }[]): Promise<{ mask: SecretMask; warnings: string[] }> {
  const mask = new SecretMask();
  const warnings: string[] = [];
  const files = [paths.secretsFile, paths.envFile];
  // a file there that this user may not read (a missing one holds nothing): `unreadable<i>=1`
  const unreadable = files.map((file, i) => `if [ -e ${quote(file)} ] && [ ! -r ${quote(file)} ]; then echo "unreadable${i}=1"; fi`);
  const unmasked = 'the values it holds there are not masked in what this command shows of it';
  await Promise.all(
    connections.map(async ({ host, connection }) => {
      const result = await connection.exec([...heldValuesLines(paths.secretsFile, paths.envFile), ...unreadable].join('; '), { timeoutMs: READ_TIMEOUT_MS }).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
      if (result.code !== 0) {
        warnings.push(`${host}: cannot read ${files.join(' and ')} (${result.stderr.trim().split('\n')[0] || `exit code ${result.code}`}): ${unmasked}`);
        return;
      }
      const facts = parseKeyValues(result.stdout);
      mask.learn(heldValuesOf(facts));
      const denied = files.filter((_file, i) => facts[`unreadable${i}`] === '1');
      if (denied.length > 0) warnings.push(`${host}: cannot read ${denied.join(' and ')} (permission denied for ${connection.target.user}): ${unmasked}`);
    }),
  );
  return { mask, warnings };
}
