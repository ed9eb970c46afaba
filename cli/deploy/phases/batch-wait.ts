// batch wait: a batch of a ramp that passed its health check stays on hold `batch_wait` before the
// next batch publishes, its health check repeated every `interval` (the last one at the end of the
// hold); `retries` + 1 unhealthy answers in a row fail the host, as a failed health check does.
// Without a health check the hold only waits. An interrupt ends the hold at once: the batch keeps
// the release it passed with.
import type { HostPhase } from '../phase.js';
import { checkOnce, unhealthy } from './health-check.js';

/** Holds the host for `batch_wait` (not in a rehearsal: --plan shows the hold, it does not wait). */
export const batchWaitPhase: HostPhase = {
  name: 'batch wait',
  applies: (ctx) => ctx.run.environment.batchWaitMs > 0 && !ctx.run.rehearsal,
  async run(ctx) {
    const { batchWaitMs, healthcheck: check } = ctx.run.environment;
    const { signal } = ctx.run.interruption;
    const deadline = Date.now() + batchWaitMs;
    let unhealthyInRow = 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || signal.aborted) return;
      await pause(check ? Math.min(check.intervalMs, left) : left, signal);
      if (!check || signal.aborted) continue;
      const answer = await checkOnce(ctx, 'batch wait', check);
      if (signal.aborted) return;
      const held = Math.min(batchWaitMs, batchWaitMs - (deadline - Date.now()));
      ctx.run.emit({ kind: 'output', host: ctx.target.label, phase: 'batch wait', line: `${seconds(held)} of ${seconds(batchWaitMs)}: ${answer.healthy ? 'healthy' : 'unhealthy'}: ${answer.last}` });
      unhealthyInRow = answer.healthy ? 0 : unhealthyInRow + 1;
      if (unhealthyInRow > check.retries) throw unhealthy(ctx, check, `failed ${unhealthyInRow} time${unhealthyInRow === 1 ? '' : 's'} in a row during the batch wait`, answer.last);
    }
  },
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

