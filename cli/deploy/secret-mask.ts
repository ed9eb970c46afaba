// Masking secret values as `***`, as GitHub Actions does: each value and each non-empty line of a
// multi-line value. One implementation serves both sides: pmx applies it to everything it reads
// from a host, and the host runs the same two functions (as source, with its node) between a hook
// and its log, so a hook that prints a value leaves `***` in the log too.
import { quote } from '../transport/quote.js';

/** What a masked value reads as. */
export const MASK = '***';

/** The strings to mask for `values`: each value and each non-empty line of it, longest first. */
export function maskedParts(values: string[]): string[] {
  const parts = new Set<string>();
  for (const value of values) for (const part of [value, ...value.split(/\r?\n/)]) if (part.trim() !== '') parts.add(part);
  return [...parts].sort((a, b) => b.length - a.length);
}

/** `text` with every part replaced by `***`. */
export function maskWith(parts: string[], text: string): string {
  let out = text;
  for (const part of parts) out = out.split(part).join('***');
  return out;
}

/** The mask of a run's values (the identity when there are none). */
export function secretMask(values: string[]): (text: string) => string {
  const parts = maskedParts(values);
  return parts.length === 0 ? (text) => text : (text) => maskWith(parts, text);
}

// the host's filter: values from its own environment (the hook exported them from the secrets
// file), so only names are on its command line; masks line by line, the last partial line at the
// end. The two functions are self-contained and bound to their names whatever a build renames.
const FILTER = [
  `const maskedParts=${maskedParts.toString()};`,
  `const maskWith=${maskWith.toString()};`,
  'const parts=maskedParts(process.argv.slice(1).map((n)=>process.env[n]||""));',
  'let pending="";process.stdin.setEncoding("utf8");',
  'process.stdin.on("data",(c)=>{pending+=c;const i=pending.lastIndexOf("\\n");if(i>=0){process.stdout.write(maskWith(parts,pending.slice(0,i+1)));pending=pending.slice(i+1);}});',
  'process.stdin.on("end",()=>{process.stdout.write(maskWith(parts,pending));});',
].join('\n');

/** A filter, run on the host, that copies stdin to stdout with the values of the exported variables `names` masked. */
export function maskFilterCommand(names: string[]): string {
  return `node -e ${quote(FILTER)} ${names.map(quote).join(' ')}`;
}
