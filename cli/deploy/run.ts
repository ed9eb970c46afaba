// One `pmx deploy` run from a request: read the environment, refuse local changes (PM2's check),
// find the bundle, then run the command's plan over every host.
import { LockOrder } from './lock-order.js';
import { randomBytes } from 'node:crypto';
import { hostname, homedir, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { jumpHostsOfRun, openConnection } from '../transport/ssh-connection.js';
import type { RemoteConnection } from '../transport/types.js';
import { findBundle } from './bundle.js';
import { readDeployEnvironment } from './config.js';
import type { RunCommand, RunInfo } from './context.js';
import type { Emit, HostOutcome } from './events.js';
import { runFlow } from './flow.js';
import { Interruption } from './interrupt.js';
import { readDeploySection } from './load-deploy.js';
import { checkLocalChanges } from './local-git.js';
import { planFor } from './phases/index.js';
import type { RampReport } from './flow-ramp.js';
import type { Rolling } from './ramp.js';
import { remotePaths } from './remote-paths.js';
import { selectHosts, type HostSelection } from './host-selection.js';
import { DeployStepError } from './run-error.js';
import { envFileValues, SecretMask } from './secret-mask.js';
import { shownEvent } from './shown.js';
import { secretsForRun } from './secrets.js';
import type { HostTarget } from '../transport/host-target.js';
import type { DeployEnvironment } from './types.js';

/** What to run. */
export interface DeployRequest {
  file: string;
  envName: string | undefined;
  command: RunCommand;
  /** A ref given on the command line (deploy). */
  ref?: string;
  /** revert n. */
  steps?: number;
  /** `revert --to <release|sha>`, `mark-bad <release>`. */
  pick?: string;
  execCommand?: string;
  /** Skip the local changes check. */
  force?: boolean;
  /** --parallel / --rolling override the file (rolling null: every host at once). */
  parallel?: number;
  rolling?: Rolling | null;
  /** --hosts / --roles: the hosts to run on (default: every host of the environment). */
  select?: HostSelection;
  emit: Emit;
  connect?: (target: HostTarget, signal?: AbortSignal) => Promise<RemoteConnection>;
  /** --plan: report what would run on each host, change nothing there (read-only checks run). */
  rehearsal?: boolean;
  /** Requested by the command line on SIGINT/SIGTERM; a run without one cannot be interrupted. */
  interruption?: Interruption;
}

/** The result of a run: the environment, one outcome per host, and the signal that interrupted it (or null). */
export interface DeployResult {
  environment: DeployEnvironment;
  command: RunCommand;
  outcomes: HostOutcome[];
  interrupted: string | null;
  /** What the ramp did (null without `rolling`). */
  ramp: RampReport | null;
  /** The run's secret mask, for what is shown of the result (the outcomes are as the hosts were read, for deciding). */
  mask: SecretMask;
}

/** Reads the environment (errors name the key) and applies the command line's overrides (the host selection first). */
export async function loadEnvironment(request: Pick<DeployRequest, 'file' | 'envName' | 'parallel' | 'rolling' | 'select'>): Promise<DeployEnvironment> {
  const deploy = await readDeploySection(request.file);
  const environment = selectHosts(readDeployEnvironment(deploy, request.envName, request.file, { home: homedir(), env: process.env, cwd: process.cwd() }), request.select ?? {});
  return {
    ...environment,
    ...(request.parallel ? { parallel: request.parallel } : {}),
    ...(request.rolling !== undefined ? { rolling: request.rolling } : {}),
  };
}

/** Runs the request on every host of the environment. */
export async function runDeploy(request: DeployRequest, environment?: DeployEnvironment): Promise<DeployResult> {
  const env = environment ?? (await loadEnvironment(request));
  const { command, emit } = request;
  if (command === 'deploy' && !request.force) await checkLocalChanges(dirname(env.file));
  const interruption = request.interruption ?? new Interruption();
  const jumps = jumpHostsOfRun(); // the hosts behind one bastion share one connection to it
  const bundle = command === 'deploy' || command === 'revert' || command === 'setup' ? findBundle() : null;
  if (!bundle && command === 'setup') throw new DeployStepError('the pmx bundle (dist/pmx.cjs) was not built, so setup cannot install pmx on the hosts', { code: 'BUNDLE_MISSING', hint: 'run: npm run build' });
  if (!bundle && command === 'deploy') emit({ kind: 'note', host: null, level: 'warn', message: "the pmx bundle was not built (npm run build): the hosts' pmx is not checked" });
  for (const warning of env.warnings) emit({ kind: 'note', host: null, level: 'warn', message: warning });
  const rampOnly = [...(env.batchWaitMs > 0 ? ['batch_wait'] : []), ...(('hosts' in env.maxFail ? env.maxFail.hosts : env.maxFail.percent) > 0 ? ['max_fail'] : [])];
  if (env.rolling === null && rampOnly.length > 0 && (command === 'deploy' || command === 'revert')) {
    emit({ kind: 'note', host: null, level: 'warn', message: `${rampOnly.join(' and ')} ${rampOnly.length === 1 ? 'acts' : 'act'} between the batches of a ramp, and there is none without \`rolling\`: every host publishes at once and a failed host goes back alone` });
  }
  const warn = (message: string): void => emit({ kind: 'note', host: null, level: 'warn', message });
  const secrets = await secretsForRun(command, request.rehearsal ?? false, env, warn, interruption.signal);
  const mask = new SecretMask([...(secrets?.values.map((secret) => secret.value) ?? []), ...(secrets?.envFile ? envFileValues(secrets.envFile.toString('utf8')) : [])]);
  const run: RunInfo = {
    command,
    environment: env,
    paths: remotePaths(env.path),
    ref: request.ref ?? env.ref,
    id: randomBytes(8).toString('hex'),
    startedAt: new Date(),
    user: localUser(),
    steps: request.steps ?? 1,
    pick: request.pick ?? null,
    execCommand: request.execCommand ?? null,
    archive: null,
    bundle,
    secrets,
    mask,
    // what the run shows goes out masked; what it parses stays as the hosts printed it
    emit: (event) => emit(shownEvent(event, mask.apply)),
    connect: request.connect ?? ((target, signal) => openConnection(target, signal ? { signal, jumps } : { jumps })),
    interruption,
    rehearsal: request.rehearsal ?? false,
    stop: interruption.signal,
    lockOrder: env.lockTimeoutMs > 0 && env.hosts.length > 1 ? new LockOrder(env.hosts) : null,
  };
  emit({ kind: 'start', command, environment: env.name, hosts: env.hosts.map((host) => host.label), strategy: env.strategy });
  if (secrets && secrets.values.length > 0) emit({ kind: 'note', host: null, level: 'info', message: secretsNote(command, secrets.values.map((secret) => secret.name), run.paths.secretsFile) });
  try {
    const { outcomes, interrupted, ramp } = await runFlow(run, planFor(command));
    return { environment: env, command, outcomes, interrupted, ramp, mask };
  } catch (error) {
    throw masked(error, mask);
  }
}

// an error that leaves the run is shown: its message and output masked
function masked(error: unknown, mask: SecretMask): unknown {
  if (!(error instanceof Error)) return error;
  error.message = mask.apply(error.message);
  const withOutput = error as Error & { output?: unknown };
  if (typeof withOutput.output === 'string') withOutput.output = mask.apply(withOutput.output);
  return error;
}

function secretsNote(command: RunCommand, names: string[], file: string): string {
  const read = `read ${names.length} secret${names.length === 1 ? '' : 's'} on this machine (${names.join(', ')})`;
  return command === 'deploy' ? `${read}: sent over SSH to ${file}, masked as *** in all output` : `${read} to mask them as *** in all output (the hosts keep the values the last deploy sent)`;
}

function localUser(): string {
  let name = process.env.USER ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (a container): keep $USER
  }
  return `${name}@${hostname()}`;
}
