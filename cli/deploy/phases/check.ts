// check: connect, learn what the host has (node, git, tar, flock, the layout, where current
// points), refuse what pmx cannot deploy to, and bring the pmx bundle to this version. For deploy
// and revert the same command goes on to take the lock where the host passes the rules the CLI
// checks (checkLocking): one round trip for both; the lock phase takes it over, and a host the CLI
// refuses after all gives it back at once.
import { quote } from '../../transport/quote.js';
import { parseKeyValues, probeCommand } from '../commands.js';
import { connectionOf, withChanges, type HostContext, type HostFacts } from '../context.js';
import { startLock, type LockAttempt } from '../lock.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { heldValuesOf } from '../secret-mask.js';
import { PM2_SOURCE, releaseFromLink, type RemotePaths } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import { strategyFor } from '../strategies/index.js';
import { installBundle } from './agent.js';
import { lockRequest } from './lock.js';

/** Commands that need `setup` to have run on the path. */
const NEEDS_LAYOUT = new Set(['deploy', 'revert', 'mark-bad', 'list', 'curr', 'prev', 'exec']);

/** The facts of a probe's output. */
export function readFacts(stdout: string): HostFacts {
  const facts = parseKeyValues(stdout);
  return {
    home: facts.home ?? '',
    node: facts.node ?? '',
    nodeVersion: facts.node_version ?? '',
    git: facts.git ?? '',
    tar: facts.tar ?? '',
    flock: facts.flock ?? '',
    timeout: facts.timeout ?? '',
    setUp: facts.releases === '1',
    currentLink: facts.current ?? null,
    currentNotLink: facts.current_not_link === '1',
    pm2Source: facts.pm2_source === '1',
    bundleHash: facts.bundle ?? '',
  };
}

/** Opens the host's connection for the whole run and refuses a host pmx cannot work on. */
export const checkPhase: HostPhase = checkLocking(false, null);

/** The check whose command, for deploy and revert, also starts taking the lock (with `read` under it, for the lock phase's next phase); `locking` false: a check alone. */
export function checkLocking(locking: boolean, read: ((paths: RemotePaths) => string) | null): HostPhase {
  return {
    name: 'check',
    async run(ctx, track) {
      const locks = locking && !ctx.run.rehearsal;
      const order = locks ? ctx.run.lockOrder : null;
      const label = ctx.target.label;
      try {
        const connection = await ctx.run.connect(ctx.target, ctx.run.stop ?? undefined);
        track({ connection });
        const connected = withChanges(ctx, { connection });
        await order?.turn(label);
        const attempt = locks ? startLock(connectionOf(connected), lockRequest(connected, read), { command: probeCommand(ctx.run.paths, readsSecrets(ctx)), guard: lockGuard(connected) }) : null;
        if (attempt) track({ pendingLock: attempt });
        // the next host's turn once this one holds its lock or will not
        attempt?.held.then(() => order?.done(label), () => order?.done(label));
        try {
          return await checkHost(connected, attempt);
        } catch (error) {
          // a refused host gives back the lock its command may have taken
          if (attempt) await attempt.cancel();
          throw error;
        }
      } catch (error) {
        order?.done(label);
        throw error;
      }
    },
  };
}

async function checkHost(connected: HostContext, attempt: LockAttempt | null): Promise<Partial<HostContext>> {
  const { command, bundle, emit, paths, mask } = connected.run;
  const probed = attempt ? await attempt.probed : (await runOn(connected, 'check', probeCommand(paths, readsSecrets(connected)), { what: 'the host check', readOnly: true })).stdout;
  mask.learn(heldValuesOf(parseKeyValues(probed)));
  const facts = readFacts(probed);
  refuse(connected, facts);
  const previous = facts.currentLink ? releaseFromLink(paths, facts.currentLink) : null;
  if (previous === PM2_SOURCE && command === 'deploy') emit({ kind: 'note', host: connected.target.label, level: 'info', message: `PM2 deployed here: source/ is kept as the release 'source' (revert can go back to it)` });
  if ((command === 'deploy' || command === 'revert') && bundle && facts.bundleHash !== bundle.sha256) {
    await installBundle(withChanges(connected, { facts }), 'check');
  }
  return { facts, previous };
}

// the commands whose output may show what the host's secrets file holds (hooks, exec), which may
// differ from what the secret commands print now: a rotation not deployed yet, a secret renamed
// since that a rollback puts back; a rehearsal reads no secret
function readsSecrets(ctx: HostContext): boolean {
  const { command, rehearsal } = ctx.run;
  return !rehearsal && (command === 'deploy' || command === 'revert' || command === 'exec');
}

/** The rules of refuse() a shell can check before the lock is taken (a host that passes them and is refused by the CLI gives the lock back). */
function lockGuard(ctx: HostContext): string {
  const { command, environment, paths } = ctx.run;
  const tools = ['node', 'flock', ...(command === 'deploy' ? strategyFor(environment.strategy).requires : []), ...(environment.hookTimeoutMs > 0 ? ['timeout'] : [])];
  const current = quote(paths.current);
  const releases = [`releases/?*`, `${quote(`${paths.releases}/`)}?*`, 'source', 'source/', quote(paths.pm2Source), quote(`${paths.pm2Source}/`)];
  return [
    ...tools.map((tool) => `command -v ${tool} >/dev/null 2>&1`),
    `test -d ${quote(paths.releases)}`,
    `{ test -L ${current} || ! test -e ${current}; }`,
    `{ ! test -L ${current} || case "$(readlink ${current})" in ${releases.join('|')}) true;; *) false;; esac; }`,
  ].join(' && ');
}

function refuse(ctx: HostContext, facts: HostFacts): void {
  const { command, environment, paths } = ctx.run;
  const host = ctx.target.label;
  const fail = (code: 'NOT_SET_UP' | 'MISSING_TOOL' | 'COMMAND_FAILED', message: string, hint?: string): never => {
    throw new DeployStepError(message, { code, host, ...(hint ? { hint } : {}) });
  };
  if (!facts.node) fail('MISSING_TOOL', 'node is not on the PATH of non-interactive ssh commands', 'install node, or put its PATH line at the top of ~/.bashrc');
  // checked before anything changes: a hook that cannot be run under its limit fails after publish, and its rollback's too
  if (environment.hookTimeoutMs > 0 && (command === 'setup' || command === 'deploy' || command === 'revert') && !facts.timeout) fail('MISSING_TOOL', 'timeout (coreutils or busybox) is not installed; hook_timeout runs every hook under it', 'install coreutils, or remove hook_timeout');
  if (command === 'setup' || command === 'startup') return;
  if (NEEDS_LAYOUT.has(command) && !facts.setUp) fail('NOT_SET_UP', `${paths.base} is not set up`, `run: pmx deploy ${environment.name} setup`);
  if (command !== 'deploy' && command !== 'revert') return;
  if (facts.currentNotLink) fail('COMMAND_FAILED', `${paths.current} exists and is not a symbolic link; pmx only switches links`, 'move it away');
  if (facts.currentLink && releaseFromLink(paths, facts.currentLink) === null) fail('COMMAND_FAILED', `current points at ${facts.currentLink}, which is not a release of ${paths.base}`, 'point current at a release, or remove the link');
  if (!facts.flock) fail('MISSING_TOOL', 'flock (util-linux) is not installed; the deploy lock needs it');
  if (command === 'deploy') for (const tool of strategyFor(environment.strategy).requires) if (!facts[tool]) fail('MISSING_TOOL', `${tool} is not installed; the ${environment.strategy} strategy needs it`);
}
