// Parsers for the value kinds ecosystem keys and flags take: sizes, durations, counts, lists, names.
import { availableParallelism, userInfo } from 'node:os';
import { MAX_INSTANCES, MAX_NAME_LENGTH, MAX_TIMER_MS, hasNul, nameProblem } from '../../agent/protocol/limits.js';
import { nameOf } from '../../agent/protocol/home-guard.js';

/** A parse result: the value (with a warning when PM2 tolerates a value pmx does not act on), or what was expected (for the error message). */
export type Parsed<T> = { ok: true; value: T; warning?: string } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (expected: string): Parsed<never> => ({ ok: false, expected });

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3 };

/** '200M', '1G', '512K' or a number of bytes. */
export function parseSize(value: unknown): Parsed<number> {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return ok(Math.round(value));
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*$/i.exec(value) : null;
  if (!match) return bad("a size such as '200M', '1G', '512K' or a number of bytes");
  return ok(Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]!));
}

/** A duration in ms: a number, or '500ms', '2s', '1m', '1h'. */
export function parseDuration(value: unknown): Parsed<number> {
  const ms = durationMs(value);
  if (ms === null) return bad("a duration in ms (a number, or '500ms', '2s', '1m')");
  // a timer holds at most 2^31 - 1 ms: a longer one fires at once
  if (ms > MAX_TIMER_MS) return bad(`a duration of at most ${MAX_TIMER_MS} ms (24.8 days)`);
  return ok(ms);
}

/** `value` in ms: a number, or a string with a unit; null when it is neither. */
function durationMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  if (!match) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms'];
  return Math.round(Number(match[1]) * factor);
}

/** A whole number >= min (numbers or numeric strings, as flags arrive). */
export function parseCount(value: unknown, min = 0): Parsed<number> {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= min) return ok(number);
  return bad(min === 0 ? 'a whole number of at least 0' : `a whole number of at least ${min}`);
}

/** `instances`: a number, 'max' or 0 (all cores), -n (all cores but n, at least 1), as PM2 counts. */
export function parseInstances(value: unknown, cores = availableParallelism()): Parsed<number> {
  if (value === 'max') return ok(cores);
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) return bad("a number, 'max' or -n");
  if (number === 0) return ok(cores);
  if (number < 0) return ok(Math.max(1, cores + number));
  return number <= MAX_INSTANCES ? ok(number) : bad(`at most ${MAX_INSTANCES} (the limit of instances per app)`);
}

/** true/false, also from the strings flags and env files give. */
export function parseBoolean(value: unknown): Parsed<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (value === 'true' || value === 'false') return ok(value === 'true');
  return bad('true or false');
}

/** A string, or an array of strings, or a space-separated string split into words. */
export function parseWords(value: unknown): Parsed<string[]> {
  if (Array.isArray(value) && value.every((item) => (typeof item === 'string' && !hasNul(item)) || typeof item === 'number')) return ok(value.map(String));
  if (typeof value === 'string' && !hasNul(value)) return ok(splitWords(value));
  return bad('a string or an array of strings');
}

/** Splits a command-line string into words as a shell would: quotes group, a backslash escapes, `a="b c"` is one word. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let at = 0; at < text.length; at++) {
    const char = text[at]!;
    if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (char === "'") {
      const end = text.indexOf("'", at + 1);
      word = (word ?? '') + text.slice(at + 1, end === -1 ? text.length : end);
      at = end === -1 ? text.length : end;
    } else if (char === '"') {
      word ??= '';
      for (at++; at < text.length && text[at] !== '"'; at++) {
        if (text[at] === '\\' && /["\\$`]/.test(text[at + 1] ?? '')) at++;
        word += text[at];
      }
    } else if (char === '\\' && at + 1 < text.length) {
      word = (word ?? '') + text[++at];
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** A number or array of numbers (stop_exit_codes). */
export function parseCodes(value: unknown): Parsed<number[]> {
  const list = Array.isArray(value) ? value : [value];
  const codes = list.map((item) => (typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item));
  if (codes.every((code) => typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 255)) return ok(codes as number[]);
  return bad('an exit code (0-255) or an array of them');
}

/** An environment block: an object whose values become strings; none may hold a NUL (see `envNulVariable`). */
export function parseEnv(value: unknown): Parsed<Record<string, string>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('an object of variables');
  const env: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    if (key === '__proto__') return bad('an object of variables, none named __proto__');
    env[key] = typeof item === 'object' ? JSON.stringify(item) : String(item);
    if (hasNul(key) || hasNul(env[key]!)) return bad('an object of variables without NUL characters');
  }
  return ok(env);
}

/** The first variable of an environment block whose name or value holds a NUL character, or null. */
export function envNulVariable(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value)) {
    const text = typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item);
    if (hasNul(key) || hasNul(text)) return key;
  }
  return null;
}

/** A non-empty string without NUL characters. */
export function parseText(value: unknown): Parsed<string> {
  if (typeof value !== 'string' || value.length === 0) return bad('a non-empty string');
  return hasNul(value) ? bad('a string without NUL characters') : ok(value);
}

/** The name of an environment variable: letters, digits and underscores, not starting with a digit. */
export function parseVariableName(value: unknown): Parsed<string> {
  return typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? ok(value) : bad('the name of an environment variable (letters, digits and _)');
}

/** An app name or namespace: printable, so that it can never forge a line of output or of a log. */
export function parseName(value: unknown): Parsed<string> {
  const text = parseText(value);
  if (!text.ok) return text;
  return nameProblem(text.value) === null ? text : bad(`a name of 1 to ${MAX_NAME_LENGTH} characters without control characters such as a newline`);
}

/** `log_mode`: the mode of the log files pmx creates, as a number (0o640) or an octal string ('0640'). */
export function parseMode(value: unknown): Parsed<number> {
  const number = typeof value === 'string' && /^0?[0-7]{3}$/.test(value) ? Number.parseInt(value, 8) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 0 && number <= 0o777 ? ok(number) : bad("a file mode such as '0640' (a string) or 0o640");
}

/** A non-empty string, or null/false for "none". */
export function parseOptionalText(value: unknown): Parsed<string | null> {
  return value === null || value === false ? ok(null) : parseText(value);
}

/** A string, or an array of strings. */
export function parseStrings(value: unknown): Parsed<string[]> {
  if (typeof value === 'string' && !hasNul(value)) return ok([value]);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' && !hasNul(item))) return ok(value);
  return bad('a string or an array of strings');
}

/** `exec_mode`: PM2's 'fork'/'cluster' and their `_mode` forms. */
export function parseExecMode(value: unknown): Parsed<'fork_mode' | 'cluster_mode'> {
  if (value === 'fork' || value === 'fork_mode') return ok('fork_mode');
  if (value === 'cluster' || value === 'cluster_mode') return ok('cluster_mode');
  return bad("'fork' or 'cluster'");
}

/** `watch`: on/off, or the paths to watch. */
export function parseWatch(value: unknown): Parsed<boolean | string[]> {
  if (typeof value === 'boolean') return ok(value);
  const paths = parseStrings(value);
  return paths.ok ? paths : bad('true, false, a path or an array of paths');
}

/** `listen`: ports or '[host:]port' addresses, one or many. */
export function parseListen(value: unknown): Parsed<string[]> {
  const list = Array.isArray(value) ? value : [value];
  const valid = (item: unknown): boolean => (typeof item === 'number' && Number.isInteger(item) && item > 0) || (typeof item === 'string' && item !== '');
  return list.length > 0 && list.every(valid) ? ok(list.map(String)) : bad("a port, '[host:]port', or an array of them");
}

/** `log_type`: PM2 takes any string and writes JSON lines only for 'json'; so does pmx, with a warning for a value it does not know. */
export function parseLogType(value: unknown): Parsed<'raw' | 'json'> {
  if (value === 'json' || value === 'raw') return ok(value);
  if (typeof value !== 'string') return bad("'json' or 'raw'");
  return { ok: true, value: 'raw', warning: `is '${value}', which is neither 'json' nor 'raw': the logs are written raw, as PM2 writes them` };
}

/** `port`: PM2's shortcut for the PORT variable. */
export function parsePort(value: unknown): Parsed<string> {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 && number < 65536 ? ok(String(number)) : bad('a port number (1-65535)');
}

/** `filter_env`: true drops the shell environment, a name drops that variable, names drop the variables containing one. */
export function parseFilterEnv(value: unknown): Parsed<boolean | string | string[]> {
  if (typeof value === 'boolean' || typeof value === 'string') return ok(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return ok(value);
  return bad('true, false, a variable name or an array of names');
}

/** A user or group: a name or a numeric id. pmx runs apps as the agent's user, so it warns that the value is not applied. */
export function parseUserIdentity(value: unknown): Parsed<string | number> {
  return ownIdentity(value, 'user', process.getuid?.() ?? null, userInfo().username);
}

export function parseGroupIdentity(value: unknown): Parsed<string | number> {
  const gid = process.getgid?.() ?? null;
  return ownIdentity(value, 'group', gid, gid === null ? null : nameOf('/etc/group', gid));
}

/**
 * `uid`/`user`/`gid` as PM2 takes them (a name or a numeric id), held to what pmx can do: every app
 * runs as the user of its agent, so only that user (or its group) is taken. Another one is refused,
 * as `--uid` is: the app would run as the agent's user, root perhaps, where the file asked for less.
 */
function ownIdentity(value: unknown, kind: 'user' | 'group', id: number | null, name: string | null): Parsed<string | number> {
  if (!((typeof value === 'number' && Number.isInteger(value) && value >= 0) || (typeof value === 'string' && value !== ''))) return bad('a name or a numeric id');
  const own = id !== null && (Number(value) === id || (typeof value === 'string' && value === name));
  if (own) return ok(value);
  const agent = `${name ?? '?'} (${kind === 'user' ? 'uid' : 'gid'} ${id ?? '?'})`;
  return bad(`this agent's own ${kind}, ${agent}, as pmx runs every app as its agent's user (the app would run as ${agent}, not as asked): start it from an agent of that user (sudo -u <user> pmx start ...)`);
}

