// Bounds on what an app may ask for, checked by the CLI when it reads a file or flags and again
// by the agent on every request (a request may come from anything that can open the socket).

/** Instances of one app at most (`instances`, `pmx scale`). */
export const MAX_INSTANCES = 1024;

/** Longest app name or namespace. */
export const MAX_NAME_LENGTH = 256;

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why `name` cannot name an app or a namespace (it would forge lines in output and logs), or null. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  const control = CONTROL.exec(name);
  if (control) return `it holds a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${control.index + 1})`;
  return null;
}

/** True when `text` holds a NUL character, which no argument, path or environment variable can carry. */
export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/** Linux's MAX_ARG_STRLEN: the longest string exec takes, one argument or one `NAME=value`, its NUL included. */
export const MAX_EXEC_STRING_BYTES = 131_072;

/**
 * What an app's environment and arguments may take in all: half of Linux's ARG_MAX with the usual
 * 8 MiB stack (2 MiB), so that what the agent adds (PM2's variables, node's options) still fits.
 */
export const MAX_LAUNCH_BYTES = 1_048_576;

/** Why exec would refuse this environment and these arguments (E2BIG): the variable, or the whole, too large; null when they fit. */
export function launchSizeProblem(env: Readonly<Record<string, string>>, args: readonly string[]): { variable: string | null; bytes: number; limit: number } | null {
  let total = 0;
  for (const [name, value] of Object.entries(env)) {
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
    if (bytes > MAX_EXEC_STRING_BYTES) return { variable: name, bytes, limit: MAX_EXEC_STRING_BYTES };
    total += bytes;
  }
  for (const arg of args) total += Buffer.byteLength(arg) + 1;
  return total > MAX_LAUNCH_BYTES ? { variable: null, bytes: total, limit: MAX_LAUNCH_BYTES } : null;
}

/** The highest pm_id (2^31 - 1): a dump holds no higher, and past it new ids are taken from the lowest free one. */
export const MAX_PM_ID = 2 ** 31 - 1;

/** The longest a timer waits, in ms (2^31 - 1, 24.8 days): Node fires a longer one at once. Durations of an app are held to it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
