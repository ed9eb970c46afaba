// Pure builders of the shell commands a fleet command runs on a host: the host's pmx (the bundle
// `setup` installed) in the environment's `current` release, every word quoted.
import { PATH_EXPORT } from '../deploy/hook-command.js';
import { quote } from '../transport/quote.js';

/** `pmx <words>` run in `current` (in the home directory when there is no release yet). */
export function pmxCommand(current: string, words: readonly string[]): string {
  return `${prelude(current)} pmx ${words.map(quote).join(' ')}`;
}

/**
 * `pmx <words>` that also ends when the command's stdin closes: the way to stop a `pmx logs` that
 * follows forever. A watcher reads the real stdin (kept on fd 3, since a background job's stdin is
 * /dev/null) and sends TERM to pmx at its end; the watcher goes when pmx ends by itself. The exit
 * status is pmx's, 143 when it was stopped.
 */
export function stoppablePmxCommand(current: string, words: readonly string[]): string {
  return [
    `exec 3<&0 </dev/null`,
    `${prelude(current)} pmx ${words.map(quote).join(' ')} 3<&- & p=$!`,
    `{ cat <&3 >/dev/null 3<&-; kill -TERM "$p" 2>/dev/null; } >/dev/null 2>&1 & w=$!`,
    `exec 3<&-`,
    `wait "$p" 2>/dev/null; rc=$?`, // dash tells stderr a job was `Terminated`
    `kill "$w" 2>/dev/null`,
    `exit "$rc"`,
  ].join('\n');
}

/** The exit status of a shell that found no `pmx` to run. */
export const PMX_NOT_FOUND = 127;

// the launcher on PATH and the release as working directory, in the shell that runs pmx
function prelude(current: string): string {
  return `${PATH_EXPORT} cd ${quote(current)} 2>/dev/null;`;
}
