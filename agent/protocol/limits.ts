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
