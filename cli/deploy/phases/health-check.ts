// health check: after publish, a URL fetched on the host itself, a command run in current, or the
// host's agent asked (`pmx jlist`) whether every instance of an app is online and its own `health`
// probe passed; tried `retries` more times `interval` apart; failing it rolls the host back. An app
// that is missing, errored or has no probe fails at once: waiting cannot make it pass.
import type { HostContext } from '../context.js';
import { expandingNames, hookEnv } from '../context.js';
import type { PhaseName } from '../events.js';
import { agentListCommand, healthCommand, healthUrlCommand } from '../hook-command.js';
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

/** One run of the health check on the host: healthy or not, and the last line it answered; throws when it cannot pass. */
export async function checkOnce(ctx: HostContext, phase: PhaseName, check: HealthCheck): Promise<{ healthy: boolean; last: string }> {
  if (check.app !== null) return checkApp(ctx, phase, check, check.app);
  const command = check.url ? healthUrlCommand(check.url, check.timeoutMs) : healthCommand(ctx.run.paths.current, check.command!, hookEnv(ctx), expandingNames(ctx));
  const result = await runOn(ctx, phase, command, { what: 'the health check', allowFailure: true, timeoutMs: check.timeoutMs + 5000 });
  return { healthy: result.code === 0, last: lastLines(`${result.stdout}\n${result.stderr}`, 1) || `exit ${result.code}` };
}

/** Asks the host's agent for the app's processes. */
async function checkApp(ctx: HostContext, phase: PhaseName, check: HealthCheck, app: string): Promise<{ healthy: boolean; last: string }> {
  const result = await runOn(ctx, phase, agentListCommand(ctx.run.paths.current), { what: 'pmx jlist', allowFailure: true, timeoutMs: check.timeoutMs + 5000 });
  if (ctx.run.rehearsal) return { healthy: true, last: 'planned' };
  if (result.code !== 0) return { healthy: false, last: `pmx jlist: ${lastLines(`${result.stdout}\n${result.stderr}`, 1) || `exit ${result.code}`}` };
  const verdict = appHealth(result.stdout, app);
  if ('hopeless' in verdict) {
    const key = `deploy.${ctx.run.environment.name}.healthcheck.app`;
    throw unhealthy(ctx, check, 'cannot pass', verdict.hopeless === 'no probe' ? `${verdict.last} (${key} waits for the app's own probe: give '${app}' a \`health\` block in the ecosystem file, or check a url or a command instead)` : verdict.last);
  }
  return verdict;
}

/** The processes of `pmx jlist` as far as the check reads them. */
interface Listed {
  name?: unknown;
  pm_id?: unknown;
  pm2_env?: { status?: unknown; health_check?: unknown; health?: { status?: unknown; last_error?: unknown } };
}

/** What a host's `pmx jlist` says of `app`: healthy when every instance is online and passed its last probe; hopeless when waiting cannot help. */
export function appHealth(jlist: string, app: string): { healthy: boolean; last: string } | { hopeless: 'missing' | 'errored' | 'no probe'; last: string } {
  let listed: unknown;
  try {
    listed = JSON.parse(jlist);
  } catch {
    return { healthy: false, last: `pmx jlist did not answer JSON: ${lastLines(jlist, 1)}` };
  }
  if (!Array.isArray(listed)) return { healthy: false, last: 'pmx jlist did not answer a list' };
  const instances = (listed as Listed[]).filter((proc) => proc?.name === app);
  if (instances.length === 0) {
    const names = [...new Set((listed as Listed[]).map((proc) => String(proc?.name)))];
    return { hopeless: 'missing', last: `no app '${app}' in the host's pmx (${names.length > 0 ? `it runs ${names.join(', ')}` : 'it runs no app'})` };
  }
  const states = instances.map((proc) => {
    const env = proc.pm2_env ?? {};
    const health = env.health;
    const label = `${app} (id ${String(proc.pm_id)})`;
    const probe = health ? `${String(health.status)}${typeof health.last_error === 'string' ? `, last probe: ${health.last_error}` : ''}` : 'no probe result yet';
    return { env, ready: env.status === 'online' && health?.status === 'healthy' && health.last_error == null, text: env.status === 'online' ? `${label} online, ${probe}` : `${label} ${String(env.status)}` };
  });
  if (instances.some((proc) => !proc.pm2_env?.health_check)) return { hopeless: 'no probe', last: `'${app}' has no health probe` };
  const errored = states.find((state) => state.env.status === 'errored');
  if (errored) return { hopeless: 'errored', last: errored.text };
  const waiting = states.filter((state) => !state.ready);
  if (waiting.length === 0) return { healthy: true, last: `${instances.length} instance${instances.length === 1 ? '' : 's'} of ${app} online and healthy` };
  return { healthy: false, last: waiting.map((state) => state.text).join('; ') };
}

/** The error of a host found unhealthy: `how` says when (`failed 3 times`). */
export function unhealthy(ctx: HostContext, check: HealthCheck, how: string, last: string): DeployStepError {
  const what = check.app !== null ? `app '${check.app}'` : check.url ?? `\`${check.command}\``;
  return new DeployStepError(`health check ${what} ${how}: ${last}`, { code: 'HEALTH_CHECK_FAILED', host: ctx.target.label });
}
