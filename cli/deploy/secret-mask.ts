// Masking secret values as `***`, as GitHub Actions does: each value and each non-empty line of a
// multi-line value, however short (a value shown is worse than odd output). Only what pmx shows or
// records is masked (events, the summary, --json, errors, ledger messages, hook logs), never what
// it parses: a value such as `2026` or `current` must not rewrite a release name pmx reads. One
// implementation serves both sides: the host runs the same functions (as source, with its node)
// between a hook and its log, so a hook that prints a value leaves `***` in the log too.
import { quote } from '../transport/quote.js';

/** What a masked value reads as. */
export const MASK = '***';

/**
 * The strings to mask for `values`: each value and each non-empty line of it, and, for a value with
 * a `'` in it, the same of its single-quoted shell form (as a secrets file holds it: `'\''` for each
 * `'`, so that printing the file shows no part of the value); longest first.
 */
export function maskedParts(values: string[]): string[] {
  const parts = new Set<string>();
  for (const value of values) {
    const quoted = value.includes("'") ? `'${value.replace(/'/g, "'\\''")}'` : '';
    for (const part of [value, ...value.split(/\r?\n/), quoted, ...quoted.split(/\r?\n/)]) if (part.replace(/['\\]/g, '').trim() !== '') parts.add(part);
  }
  return [...parts].sort((a, b) => b.length - a.length);
}

/** `text` with every part replaced by `***`. */
export function maskWith(parts: string[], text: string): string {
  let out = text;
  for (const part of parts) out = out.split(part).join('***');
  return out;
}

/** The values of a secrets file as pmx writes it (`NAME='value'` lines, quote()'s quoting; several files one after another). */
export function secretsFileValues(text: string): string[] {
  const values: string[] = [];
  for (const match of text.matchAll(/^[A-Za-z_][A-Za-z0-9_]*=((?:'[^']*'|\\'|[^\s'\\])*)$/gm)) {
    values.push(match[1]!.replace(/'([^']*)'|\\'/g, (_, inner) => (inner === undefined ? "'" : inner)));
  }
  return values;
}

/**
 * The values an app's parser may read from an env_file (dotenv's and python-dotenv's forms): after
 * `[export ]NAME=` or `NAME: `, a value in single, double or back quotes (over several lines too;
 * a comment may follow it), both as written and, in double quotes, with its escapes read; a bare
 * value up to a ` #` comment, and up to a `#` (where dotenv ends it). Blank lines and comments hold
 * none. More is masked than one parser reads, never less.
 */
export function envFileValues(text: string): string[] {
  const values: string[] = [];
  for (const match of text.matchAll(/^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*(?:[ \t]*=|:[ \t])[ \t]*/gm)) {
    const rest = text.slice(match.index + match[0].length);
    const line = /^[^\r\n]*/.exec(rest)![0];
    values.push(line.replace(/[ \t]+#.*$/, '').trim(), line.replace(/#.*$/, '').trim());
    const quoted = /^(['"`])((?:\\[\s\S]|(?!\1)[\s\S])*)\1/.exec(rest);
    if (!quoted) continue;
    values.push(quoted[2]!);
    if (quoted[1] === '"') values.push(quoted[2]!.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\(["\\$`])/g, '$1'));
  }
  return [...new Set(values)].filter((value) => value !== '');
}

/**
 * The mask of one run: the values read on this machine, then those each host holds (its secrets
 * file and the copies a deploy keeps, read at the check), which may differ (a rotation not yet
 * deployed, a secret since renamed that a rollback puts back). Applied when a text is shown.
 */
export class SecretMask {
  private parts: string[] = [];
  private readonly values = new Set<string>();

  constructor(values: string[] = []) {
    this.learn(values);
  }

  /** Adds values to mask from now on. */
  learn(values: string[]): void {
    const fresh = values.filter((value) => !this.values.has(value));
    if (fresh.length === 0) return;
    for (const value of fresh) this.values.add(value);
    this.parts = maskedParts([...this.values]);
  }

  /** `text` with every known value replaced by `***`. */
  readonly apply = (text: string): string => (this.parts.length === 0 ? text : maskWith(this.parts, text));

  /** A copy of `value` (an answer a host gave) with every string in it masked. */
  deep<T>(value: T): T {
    return maskDeep(value, this.apply);
  }
}

/** `value` with every string in it (in arrays and plain objects) masked. */
export function maskDeep<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, mask)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item, mask)])) as T;
  }
  return value;
}

// the host's filter: the values of the secrets file the hook sourced and of the copies a deploy
// keeps beside it (a rollback's hook runs with a file put back, which may hold names the ecosystem
// file no longer has), of the env_file's copy and its kept copies, and of the exported variables
// `names`; so only paths and names are on its command line. Masks line by line, the last partial
// line at the end. The functions are self-contained and bound to their names whatever a build
// renames.
const FILTER = [
  `const maskedParts=${maskedParts.toString()};`,
  `const maskWith=${maskWith.toString()};`,
  `const secretsFileValues=${secretsFileValues.toString()};`,
  `const envFileValues=${envFileValues.toString()};`,
  'const fs=require("fs"),path=require("path");const [file,envFile,...names]=process.argv.slice(1);',
  'const read=(f)=>{try{return fs.readFileSync(f,"utf8")}catch{return ""}};',
  'const withKept=(f)=>{if(!f)return [];try{return [f,...fs.readdirSync(path.dirname(f)).filter((n)=>n.startsWith(path.basename(f)+".")&&n.endsWith(".pmx-prev")).map((n)=>path.join(path.dirname(f),n))]}catch{return [f]}};',
  'const parts=maskedParts([...withKept(file).flatMap((f)=>secretsFileValues(read(f))),...withKept(envFile).flatMap((f)=>envFileValues(read(f))),...names.map((n)=>process.env[n]||"")]);',
  'let pending="";process.stdin.setEncoding("utf8");',
  'process.stdin.on("data",(c)=>{pending+=c;const i=pending.lastIndexOf("\\n");if(i>=0){process.stdout.write(maskWith(parts,pending.slice(0,i+1)));pending=pending.slice(i+1);}});',
  'process.stdin.on("end",()=>{process.stdout.write(maskWith(parts,pending));});',
].join('\n');

/** A filter, run on the host, that copies stdin to stdout with the values of the secrets `file`, of the env_file's copy `envFile` (null: none; each with its kept copies) and of the exported variables `names` masked. */
export function maskFilterCommand(file: string, names: string[], envFile: string | null = null): string {
  return `node -e ${quote(FILTER)} ${[file, envFile ?? '', ...names].map(quote).join(' ')}`;
}

/** A shell word printing, as hex, the secrets file (or env_file) and the copies a deploy keeps beside it ('' when there are none): what the host holds, for the mask. */
export function heldSecretsCommand(file: string): string {
  return `$(cat ${quote(file)} ${quote(file)}.*.pmx-prev 2>/dev/null | od -An -v -tx1 | tr -d ' \\n')`;
}

/** The values in heldSecretsCommand's hex: of a secrets file, or (`read` envFileValues) of an env_file. */
export function heldSecretValues(hex: string, read: (text: string) => string[] = secretsFileValues): string[] {
  return /^(?:[0-9a-f]{2})+$/.test(hex) ? read(Buffer.from(hex, 'hex').toString('utf8')) : [];
}

/** Shell lines printing `secrets=<hex>` and `env=<hex>`: the secrets file and the env_file's copy a host holds (with the copies a deploy keeps), for the mask. */
export function heldValuesLines(secretsFile: string, envFile: string): string[] {
  return [`echo "secrets=${heldSecretsCommand(secretsFile)}"`, `echo "env=${heldSecretsCommand(envFile)}"`];
}

/** The values in heldValuesLines' output, read as `key=value` facts. */
export function heldValuesOf(facts: Record<string, string>): string[] {
  return [...heldSecretValues(facts.secrets ?? ''), ...heldSecretValues(facts.env ?? '', envFileValues)];
}
