// agent (setup), and the bundle check of every deploy: install or upgrade the pmx bundle in
// ~/.pmx, its launcher and the PATH line, so `pmx` works in hooks without `npm i -g`.
import { createReadStream } from 'node:fs';
import { installBundleCommand, restartStaleAgentCommand } from '../bundle.js';
import type { HostContext } from '../context.js';
import type { PhaseName } from '../events.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { DeployStepError } from '../run-error.js';

/** Uploads the bundle and restarts an agent this version cannot talk to. */
export async function installBundle(ctx: HostContext, phase: PhaseName): Promise<void> {
  const bundle = ctx.run.bundle;
  if (!bundle) throw new DeployStepError('the pmx bundle was not built', { code: 'BUNDLE_MISSING', hint: 'run: npm run build' });
  const was = ctx.facts?.bundleHash;
  await runOn(ctx, phase, installBundleCommand(bundle, ctx.facts?.node ?? ''), { what: 'installing the pmx bundle in ~/.pmx', stdin: createReadStream(bundle.file) });
  const stale = await runOn(ctx, phase, restartStaleAgentCommand(), { what: 'restarting the agent with the new pmx', allowFailure: true, stream: true });
  const what = was ? `upgraded pmx in ~/.pmx (${was.slice(0, 8)} -> ${bundle.sha256.slice(0, 8)})` : `installed pmx in ~/.pmx (${bundle.sha256.slice(0, 8)})`;
  ctx.run.emit({ kind: 'note', host: ctx.target.label, level: stale.code === 0 ? 'info' : 'warn', message: stale.code === 0 ? what : `${what}; restarting the running agent failed: ${stale.stderr.trim().split('\n').pop()}` });
}

/** Setup: always (re)installs the bundle, so a host can be repaired by running setup again. */
export const agentPhase: HostPhase = {
  name: 'agent',
  async run(ctx) {
    await installBundle(ctx, 'agent');
  },
};
