// Running the host's pmx with some words and reading what it did: its output and exit status, or
// the reason it could not run there (no pmx installed, a command that never ended).
import type { ProcessDescription } from '../../agent/protocol/types.js';
import type { ExecResult, RemoteConnection } from '../transport/types.js';
import { type Fleet, type HostResult, onEveryHost } from './fleet.js';
import { PMX_NOT_FOUND, pmxCommand } from './remote-command.js';

/** How long a view (jlist, describe) may take on a host; it starts the agent there if needed. */
export const VIEW_TIMEOUT_MS = 30_000;

/** A process of the fleet: PM2's jlist entry with the host it runs on. */
export type FleetProcess = ProcessDescription & { host: string };

/** `pmx <words>` on one host; rejects only when pmx is missing or the connection fails. */
export async function runPmx(connection: RemoteConnection, current: string, words: readonly string[], timeoutMs?: number): Promise<ExecResult> {
  const result = await connection.exec(pmxCommand(current, words), timeoutMs ? { timeoutMs } : {});
  if (result.code === PMX_NOT_FOUND) throw pmxMissing(connection);
  return result;
}

/** The error of a host where the shell found no pmx. */
export function pmxMissing(connection: RemoteConnection): Error {
  return new Error(`pmx is not installed for ${connection.target.user} (run: pmx deploy <environment> setup)`);
}

/** `pmx <words>` on every host at once. */
export function runEverywhere(fleet: Fleet, words: readonly string[], timeoutMs?: number): Promise<HostResult<ExecResult>[]> {
  return onEveryHost(fleet, (connection) => runPmx(connection, fleet.current, words, timeoutMs));
}

/** Each host's processes (its `pmx jlist`), each marked with the host. */
export function listEverywhere(fleet: Fleet): Promise<HostResult<FleetProcess[]>[]> {
  return onEveryHost(fleet, async (connection, host) => {
    const result = await runPmx(connection, fleet.current, ['jlist'], VIEW_TIMEOUT_MS);
    if (result.code !== 0) throw new Error(`pmx jlist failed (exit ${result.code}): ${lastLine(result.stderr) || lastLine(result.stdout)}`);
    let procs: unknown;
    try {
      procs = JSON.parse(result.stdout);
    } catch {
      throw new Error(`pmx jlist printed no JSON: ${lastLine(result.stdout)}`);
    }
    if (!Array.isArray(procs)) throw new Error('pmx jlist printed JSON that is not a list');
    return (procs as ProcessDescription[]).map((proc) => ({ ...proc, host }));
  });
}

// the last non-empty line of an output, trimmed
function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
