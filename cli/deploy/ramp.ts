// The canary ramp of a deploy: how `rolling` splits the selected hosts into batches that publish
// one after another, and how many of them `max_fail` lets fail. Reading the settings (with errors
// that name the key, e.g. `rolling[1]`) and the arithmetic live here; the flow runs the batches.

/** A number of hosts, or a percentage of the selected hosts. */
export type Share = { readonly hosts: number } | { readonly percent: number };

/** `rolling`: batches of one size (a number or a percentage), or cumulative steps (`[1, '25%', '100%']`). */
export type Rolling = { readonly every: Share } | { readonly steps: readonly Share[] };

/** Reports a setting that cannot be used: the key (`rolling[1]`), what was expected, the value. */
export type Fail = (key: string, expected: string, value: unknown) => never;

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;
const STEP = "a whole number of hosts of at least 1 or a percentage of the selected hosts such as '25%'";

/** `rolling` as written: null (every host at once) for nothing or 0, else batches or steps. */
export function readRolling(value: unknown, fail: Fail): Rolling | null {
  if (value === undefined || value === null || wholeNumber(value) === 0) return null;
  if (!Array.isArray(value)) return { every: share(value, 'rolling', fail, `0 (every host at once), ${STEP}, or a list of cumulative steps such as [1, '25%', '100%']`) };
  if (value.length === 0) return fail('rolling', "a list of cumulative steps such as [1, '25%', '100%']", value);
  const steps: Share[] = [];
  value.forEach((item, index) => {
    const key = `rolling[${index}]`;
    const step = share(item, key, fail, STEP);
    if (steps.some((before) => 'percent' in before && before.percent === 100)) fail(key, "no step after '100%' (every host is live by then)", item);
    // steps are cumulative: one of the same unit must go beyond the last such step
    const last = [...steps].reverse().find((before) => 'percent' in before === 'percent' in step);
    if (last && amount(step) <= amount(last)) fail(key, `a cumulative step beyond the one before (${show(last)}): each step counts every host live after it`, item);
    steps.push(step);
  });
  return { steps };
}

/** `max_fail` as written: hosts (a whole number, default 0) or a percentage of the selected hosts. */
export function readMaxFail(written: unknown, fail: Fail): Share {
  if (written === undefined || written === null) return { hosts: 0 };
  const expected = "a whole number of hosts of at least 0 or a percentage of the selected hosts such as '10%'";
  const value = wholeNumber(written);
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { hosts: value } : fail('max_fail', expected, written);
  const match = typeof value === 'string' ? PERCENT.exec(value) : null;
  return match && Number(match[1]) <= 100 ? { percent: Number(match[1]) } : fail('max_fail', expected, written);
}

/** The size of each batch for `total` selected hosts, in order (one batch of all when rolling is null). */
export function batchSizes(rolling: Rolling | null, total: number): number[] {
  if (total <= 0) return [];
  if (rolling === null) return [total];
  const sizes: number[] = [];
  let live = 0;
  if ('steps' in rolling) {
    for (const step of rolling.steps) {
      if (live === total) break;
      const after = Math.min(total, Math.max(live + 1, hostsOf(step, total)));
      sizes.push(after - live);
      live = after;
    }
  }
  const rest = 'every' in rolling ? Math.min(total, hostsOf(rolling.every, total)) : sizes.at(-1)!;
  for (; live < total; live += rest) sizes.push(Math.min(rest, total - live));
  return sizes;
}

/** Splits items into batches of the given sizes. */
export function splitBatches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  let at = 0;
  return sizes.map((size) => items.slice(at, (at += size)));
}

/** The number of hosts that may fail out of `total` before the deploy stops (a percentage rounds down). */
export function allowedFailures(maxFail: Share, total: number): number {
  return 'hosts' in maxFail ? maxFail.hosts : Math.floor((maxFail.percent * total) / 100 + 1e-9);
}

/** A share as written: `3` or `25%`. */
export function show(value: Share): string {
  return 'hosts' in value ? String(value.hosts) : `${value.percent}%`;
}

/** Describes a ramp in a few words: `batches of 2`, `steps 1, 25%, 100%`, `every host at once`. */
export function describeRolling(rolling: Rolling | null): string {
  if (rolling === null) return 'every host at once';
  return 'every' in rolling ? `batches of ${show(rolling.every)}` : `steps ${rolling.steps.map(show).join(', ')}`;
}

// a percentage of the selected hosts is rounded up and is at least one host
function hostsOf(value: Share, total: number): number {
  return 'hosts' in value ? value.hosts : Math.max(1, Math.ceil((value.percent * total) / 100 - 1e-9));
}

function amount(value: Share): number {
  return 'hosts' in value ? value.hosts : value.percent;
}

// PM2 configs are hand-written, often from environment variables: '2' is 2, as `--rolling 2` is
function wholeNumber(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

function share(written: unknown, key: string, fail: Fail, expected: string): Share {
  const value = wholeNumber(written);
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 ? { hosts: value } : fail(key, expected, written);
  const match = typeof value === 'string' ? PERCENT.exec(value) : null;
  const percent = match ? Number(match[1]) : NaN;
  return percent > 0 && percent <= 100 ? { percent } : fail(key, expected, written);
}

/** `--rolling` as typed: `2`, `25%` or `1,25%,100%`, read as the file's `rolling` would be. */
export function parseRollingFlag(text: string, fail: Fail): Rolling | null {
  const words = text.split(',').map((word) => word.trim());
  return readRolling(words.length === 1 ? words[0] : words, fail);
}
