// check: connect, learn what the host has (node, git, tar, flock, the layout, where current
// points), refuse what pmx cannot deploy to, and bring the pmx bundle to this version.
import { parseKeyValues, probeCommand } from '../commands.js';
import { withChanges, type HostContext, type HostFacts } from '../context.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { PM2_SOURCE, releaseFromLink } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import { strategyFor } from '../strategies/index.js';
import { installBundle } from './agent.js';

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
    setUp: facts.releases === '1',
    currentLink: facts.current ?? null,
    currentNotLink: facts.current_not_link === '1',
    pm2Source: facts.pm2_source === '1',
    bundleHash: facts.bundle ?? '',
  };
}

/** Opens the host's connection for the whole run and refuses a host pmx cannot work on. */
export const checkPhase: HostPhase = {
  name: 'check',
  async run(ctx, track) {
    const connection = await ctx.run.connect(ctx.target, ctx.run.stop ?? undefined);
    track({ connection });
    const connected = withChanges(ctx, { connection });
    const facts = readFacts((await runOn(connected, 'check', probeCommand(ctx.run.paths), { what: 'the host check', readOnly: true })).stdout);
    refuse(connected, facts);
    const previous = facts.currentLink ? releaseFromLink(ctx.run.paths, facts.currentLink) : null;
    const { command, bundle, emit } = ctx.run;
    if (previous === PM2_SOURCE && command === 'deploy') emit({ kind: 'note', host: ctx.target.label, level: 'info', message: `PM2 deployed here: source/ is kept as the release 'source' (revert can go back to it)` });
    if ((command === 'deploy' || command === 'revert') && bundle && facts.bundleHash !== bundle.sha256) {
      await installBundle(withChanges(connected, { facts }), 'check');
    }
    return { facts, previous };
  },
};

function refuse(ctx: HostContext, facts: HostFacts): void {
  const { command, environment, paths } = ctx.run;
  const host = ctx.target.label;
  const fail = (code: 'NOT_SET_UP' | 'MISSING_TOOL' | 'COMMAND_FAILED', message: string, hint?: string): never => {
    throw new DeployStepError(message, { code, host, ...(hint ? { hint } : {}) });
  };
  if (!facts.node) fail('MISSING_TOOL', 'node is not on the PATH of non-interactive ssh commands', 'install node, or put its PATH line at the top of ~/.bashrc');
  if (command === 'setup' || command === 'startup') return;
  if (NEEDS_LAYOUT.has(command) && !facts.setUp) fail('NOT_SET_UP', `${paths.base} is not set up`, `run: pmx deploy ${environment.name} setup`);
  if (command !== 'deploy' && command !== 'revert') return;
  if (facts.currentNotLink) fail('COMMAND_FAILED', `${paths.current} exists and is not a symbolic link; pmx only switches links`, 'move it away');
  if (facts.currentLink && releaseFromLink(paths, facts.currentLink) === null) fail('COMMAND_FAILED', `current points at ${facts.currentLink}, which is not a release of ${paths.base}`, 'point current at a release, or remove the link');
  if (!facts.flock) fail('MISSING_TOOL', 'flock (util-linux) is not installed; the deploy lock needs it');
  if (command === 'deploy') for (const tool of strategyFor(environment.strategy).requires) if (!facts[tool]) fail('MISSING_TOOL', `${tool} is not installed; the ${environment.strategy} strategy needs it`);
}
