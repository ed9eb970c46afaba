// health check: after publish, a URL fetched on the host itself (or a command run in current),
// tried `retries` more times `interval` apart; failing it rolls the host back.
import type { HostContext } from '../context.js';
import { hookEnv } from '../context.js';
import type { PhaseName } from '../events.js';
import { healthCommand, healthUrlCommand } from '../hook-command.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { DeployStepError, lastLines } from '../run-error.js';
import type { HealthCheck } from '../types.js';

/** Passes on the first healthy attempt; fails with the last attempt's answer. */
export const healthCheckPhase: HostPhase = {
  name: 'health check',
  applies: (ctx) => ctx.run.environment.healthcheck !== null,
  async run(ctx) {
    const check = ctx.run.environment.healthcheck!;
    const attempts = check.retries + 1;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const answer = await checkOnce(ctx, 'health check', check);
      last = answer.last;
      ctx.run.emit({ kind: 'output', host: ctx.target.label, phase: 'health check', line: `attempt ${attempt}/${attempts}: ${answer.healthy ? 'healthy' : 'unhealthy'}: ${last}` });
      if (answer.healthy) return;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, check.intervalMs));
    }
    throw unhealthy(ctx, check, `failed ${attempts} time${attempts === 1 ? '' : 's'}`, last);
  },
};

/** One run of the health check on the host: healthy or not, and the last line it answered. */
export async function checkOnce(ctx: HostContext, phase: PhaseName, check: HealthCheck): Promise<{ healthy: boolean; last: string }> {
  const command = check.url ? healthUrlCommand(check.url, check.timeoutMs) : healthCommand(ctx.run.paths.current, check.command!, hookEnv(ctx));
  const result = await runOn(ctx, phase, command, { what: 'the health check', allowFailure: true, timeoutMs: check.timeoutMs + 5000 });
  return { healthy: result.code === 0, last: lastLines(`${result.stdout}\n${result.stderr}`, 1) || `exit ${result.code}` };
}

/** The error of a host found unhealthy: `how` says when (`failed 3 times`). */
export function unhealthy(ctx: HostContext, check: HealthCheck, how: string, last: string): DeployStepError {
  const what = check.url ?? `\`${check.command}\``;
  return new DeployStepError('HEALTH_CHECK_FAILED', ctx.target.label, `${ctx.target.label}: health check ${what} ${how}: ${last}`);
}
