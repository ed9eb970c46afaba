// Running work for many hosts at once, at most `limit` at a time, keeping every host's result:
// unlike Promise.all, one failure never hides the others.

/** The settled result of one item. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs `work` for each item, `limit` at a time; resolves with every result, in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<Settled<R>[]> {
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index]!, index) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
