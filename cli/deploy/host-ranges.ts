// Host ranges in a deploy environment's `host` names: `web[01:50].example.com` is web01 ... web50
// (inclusive, zero-padded to the width written). A leading `[...]` alone (with an optional
// `:port`) stays an IPv6 address, as PM2 and ssh read it.

/** The most hosts one written name may expand to (a typo such as [1:100000] is an error, not a hang). */
export const MAX_RANGE_HOSTS = 10_000;

/** What a written name expands to, or why it is not a valid range. */
export type RangeExpansion = { names: string[] } | { error: string };

/** Expands every `[a:b]` of `written` (several multiply); a name without one is itself. */
export function expandHostRange(written: string): RangeExpansion {
  const at = written.lastIndexOf('@', firstBracket(written));
  const user = at >= 0 ? written.slice(0, at + 1) : '';
  const rest = written.slice(user.length);
  if (!rest.includes('[') && !rest.includes(']')) return { names: [written] };
  if (/^\[[^\]]*\](?::\d+)?$/.test(rest) && !/^\[\d+:\d+\]/.test(rest)) return { names: [written] };
  let names = [user];
  const pattern = /\[([^\]]*)\]|([^[\]]+)|([[\]])/g;
  for (const match of rest.matchAll(pattern)) {
    if (match[3] !== undefined) return { error: `an unmatched '${match[3]}'` };
    if (match[2] !== undefined) {
      names = names.map((name) => name + match[2]);
      continue;
    }
    const values = rangeValues(match[1]!);
    if ('error' in values) return values;
    if (names.length * values.names.length > MAX_RANGE_HOSTS) return { error: `more than ${MAX_RANGE_HOSTS} hosts` };
    names = names.flatMap((name) => values.names.map((value) => name + value));
  }
  return { names };
}

function rangeValues(inside: string): RangeExpansion {
  const match = /^(\d+):(\d+)$/.exec(inside);
  if (!match) return { error: `[${inside}] is not a range of whole numbers [start:end]` };
  const [start, end] = [Number(match[1]), Number(match[2])];
  if (start > end) return { error: `[${inside}] starts after it ends` };
  if (end - start + 1 > MAX_RANGE_HOSTS) return { error: `more than ${MAX_RANGE_HOSTS} hosts` };
  const width = match[1]!.startsWith('0') || match[2]!.startsWith('0') ? Math.max(match[1]!.length, match[2]!.length) : 0;
  return { names: Array.from({ length: end - start + 1 }, (_, index) => String(start + index).padStart(width, '0')) };
}

function firstBracket(written: string): number {
  const index = written.indexOf('[');
  return index < 0 ? written.length : index;
}
