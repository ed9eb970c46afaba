// health check: after publish, a URL fetched on the host itself (or a command run in current),
// tried `retries` more times `interval` apart; failing it rolls the host back.
import { hookEnv } from '../context.js';
import { healthCommand, healthUrlCommand } from '../hook-command.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { DeployStepError, lastLines } from '../run-error.js';

/** Passes on the first healthy attempt; fails with the last attempt's answer. */
export const healthCheckPhase: HostPhase = {
  name: 'health check',
  applies: (ctx) => ctx.run.environment.healthcheck !== null,
  async run(ctx) {
    const check = ctx.run.environment.healthcheck!;
    const command = check.url ? healthUrlCommand(check.url, check.timeoutMs) : healthCommand(ctx.run.paths.current, check.command!, hookEnv(ctx));
    const attempts = check.retries + 1;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const result = await runOn(ctx, 'health check', command, { what: 'the health check', allowFailure: true, timeoutMs: check.timeoutMs + 5000 });
      last = lastLines(`${result.stdout}\n${result.stderr}`, 1) || `exit ${result.code}`;
      ctx.run.emit({ kind: 'output', host: ctx.target.label, phase: 'health check', line: `attempt ${attempt}/${attempts}: ${result.code === 0 ? 'healthy' : 'unhealthy'}: ${last}` });
      if (result.code === 0) return;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, check.intervalMs));
    }
    const what = check.url ?? `\`${check.command}\``;
    throw new DeployStepError('HEALTH_CHECK_FAILED', ctx.target.label, `${ctx.target.label}: health check ${what} failed ${attempts} time${attempts === 1 ? '' : 's'}: ${last}`);
  },
};
