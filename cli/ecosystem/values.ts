// Parsers for the value kinds ecosystem keys and flags take: sizes, durations, counts, lists.
import { availableParallelism } from 'node:os';

/** A parse result: the value, or what was expected (for the error message). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

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
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return ok(value);
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  if (!match) return bad("a duration in ms (a number, or '500ms', '2s', '1m')");
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms'];
  return ok(Math.round(Number(match[1]) * factor));
}

/** A whole number >= min (numbers or numeric strings, as flags arrive). */
export function parseCount(value: unknown, min = 0): Parsed<number> {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= min) return ok(number);
  return bad(min === 0 ? 'a whole number of at least 0' : `a whole number of at least ${min}`);
}

/** `instances`: a number, 'max', 0 or -1 (all cores), -n (all cores but n). */
export function parseInstances(value: unknown, cores = availableParallelism()): Parsed<number> {
  if (value === 'max') return ok(cores);
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) return bad("a number, 'max', 0 or -n");
  if (number === 0 || number === -1) return ok(cores);
  if (number < 0) return ok(Math.max(1, cores + number));
  return ok(number);
}

/** true/false, also from the strings flags and env files give. */
export function parseBoolean(value: unknown): Parsed<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (value === 'true' || value === 'false') return ok(value === 'true');
  return bad('true or false');
}

/** A string, or an array of strings, or a space-separated string split into words. */
export function parseWords(value: unknown): Parsed<string[]> {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) return ok(value.map(String));
  if (typeof value === 'string') return ok(splitWords(value));
  return bad('a string or an array of strings');
}

/** Splits a command-line string into words, honouring single and double quotes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3]!);
  return words;
}

/** A number or array of numbers (stop_exit_codes). */
export function parseCodes(value: unknown): Parsed<number[]> {
  const list = Array.isArray(value) ? value : [value];
  const codes = list.map((item) => (typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item));
  if (codes.every((code) => typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 255)) return ok(codes as number[]);
  return bad('an exit code (0-255) or an array of them');
}

/** An environment block: an object whose values become strings. */
export function parseEnv(value: unknown): Parsed<Record<string, string>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('an object of variables');
  const env: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    env[key] = typeof item === 'object' ? JSON.stringify(item) : String(item);
  }
  return ok(env);
}
