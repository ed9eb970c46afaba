// agent (setup), and the bundle check of every deploy: install or upgrade the pmx bundle in
// ~/.pmx, its launcher and the PATH line, so `pmx` works in hooks without `npm i -g`.
import { createReadStream } from 'node:fs';
import { installAndRestartCommand, RESTART_FAILED } from '../bundle.js';
import type { HostContext } from '../context.js';
import type { PhaseName } from '../events.js';
import type { HostPhase } from '../phase.js';
import { failureOf, runOn } from '../remote.js';
import { DeployStepError } from '../run-error.js';

/** Uploads the bundle and restarts an agent this version cannot talk to, in one command (one round trip). */
export async function installBundle(ctx: HostContext, phase: PhaseName): Promise<void> {
  const bundle = ctx.run.bundle;
  if (!bundle) throw new DeployStepError('the pmx bundle was not built', { code: 'BUNDLE_MISSING', hint: 'run: npm run build' });
  const was = ctx.facts?.bundleHash;
  const what = 'installing the pmx bundle in ~/.pmx';
  const result = await runOn(ctx, phase, installAndRestartCommand(bundle, ctx.facts?.node ?? ''), { what, stdin: createReadStream(bundle.file), allowFailure: true, stream: true });
  // the install failing is the phase failing; the restart failing leaves the new bundle in place, with a warning
  if (result.code !== 0 && result.code !== RESTART_FAILED) throw failureOf(ctx.target.label, what, result, undefined, phase);
  const done = was ? `upgraded pmx in ~/.pmx (${was.slice(0, 8)} -> ${bundle.sha256.slice(0, 8)})` : `installed pmx in ~/.pmx (${bundle.sha256.slice(0, 8)})`;
  ctx.run.emit({ kind: 'note', host: ctx.target.label, level: result.code === 0 ? 'info' : 'warn', message: result.code === 0 ? done : `${done}; restarting the running agent failed: ${result.stderr.trim().split('\n').pop()}` });
}

/** Setup: always (re)installs the bundle, so a host can be repaired by running setup again. */
export const agentPhase: HostPhase = {
  name: 'agent',
  async run(ctx) {
    await installBundle(ctx, 'agent');
  },
};
