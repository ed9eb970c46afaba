// The phases of each command, in order: the one list to read to know what a command does.
// Deploy and revert share their phases but the middle (fetch ... pre-deploy vs select release).
import type { HostContext, RunCommand } from '../context.js';
import type { FlowPlan, Verdict } from '../flow.js';
import { agentPhase } from './agent.js';
import { batchWaitPhase } from './batch-wait.js';
import { checkLocking, checkPhase } from './check.js';
import { stateCommand } from '../commands.js';
import { cleanupHost } from './cleanup.js';
import { createReleasePhase } from './create-release.js';
import { execPhase } from './exec.js';
import { fetchPhase, localFetchPhase } from './fetch.js';
import { finishHost, readBackHost } from './finish.js';
import { healthCheckPhase } from './health-check.js';
import { layoutPhase } from './layout.js';
import { linkSharedPhase } from './link-shared.js';
import { lockPhase } from './lock.js';
import { markBadPhase } from './mark-bad.js';
import { postDeployPhase } from './post-deploy.js';
import { postSetupPhase } from './post-setup.js';
import { preDeployLocalPhase } from './pre-deploy-local.js';
import { preDeployPhase } from './pre-deploy.js';
import { preSetupPhase } from './pre-setup.js';
import { publishPhase } from './publish.js';
import { readPhase } from './read.js';
import { rollbackHost } from './rollback.js';
import { lockReadingState, selectReleasePhase, settleMarkBad, settleRevert } from './select-release.js';
import { startupPhase } from './startup.js';

const LIVE = [publishPhase, postDeployPhase, healthCheckPhase];
const nothing = async (): Promise<void> => undefined;

/** check, lock, pre-deploy-local, fetch, create release, link shared, pre-deploy | barrier | publish, post-deploy, health check (batch wait between batches) | finish. */
export const DEPLOY: FlowPlan = {
  stages: [
    { hosts: [checkLocking(true, null), lockPhase] },
    { local: preDeployLocalPhase },
    { local: localFetchPhase },
    { hosts: [fetchPhase, createReleasePhase, linkSharedPhase, preDeployPhase] },
  ],
  publish: LIVE,
  hold: batchWaitPhase,
  independent: false,
  successStatus: 'deployed',
  switches: true,
  cancel: cleanupHost,
  rollback: rollbackHost,
  finish: finishHost,
  settle: (prepared) => {
    const refuse = oneCommit(prepared);
    return refuse ? { refuse } : null;
  },
};

/** With the git strategy each host resolves the ref: a push during the deploy must not split the fleet. */
export function oneCommit(prepared: HostContext[]): string | null {
  const shas = new Set(prepared.map((ctx) => ctx.sha).filter((sha) => sha !== null));
  if (shas.size <= 1) return null;
  const which = prepared.map((ctx) => `${ctx.target.label} ${ctx.sha?.slice(0, 7)}`).join(', ');
  return `the hosts resolved ${prepared[0]!.run.ref} to different commits (${which}); deploy again`;
}

/** check, lock, select release | barrier: one target for the fleet | publish, post-deploy, health check | finish: no fetch, no build. */
export const REVERT: FlowPlan = {
  ...DEPLOY,
  stages: [{ hosts: [checkLocking(true, stateCommand), lockReadingState, selectReleasePhase] }],
  successStatus: 'reverted',
  settle: settleRevert,
};

/** check, lock, select release | barrier: the release to mark | mark bad | read back. */
export const MARK_BAD: FlowPlan = {
  stages: [{ hosts: [checkPhase, lockReadingState, selectReleasePhase] }],
  publish: [markBadPhase],
  independent: false,
  successStatus: 'done',
  cancel: nothing,
  rollback: nothing,
  settle: (prepared): Verdict => settleMarkBad(prepared),
  finish: (ctx) => readBackHost(ctx),
};

/** check, pre-setup, layout, lock, agent, post-setup; each host on its own. */
export const SETUP: FlowPlan = {
  stages: [{ hosts: [checkPhase, preSetupPhase, layoutPhase, lockPhase, agentPhase, postSetupPhase] }],
  publish: [],
  independent: true,
  successStatus: 'done',
  cancel: nothing,
  rollback: nothing,
};

function query(...phases: FlowPlan['stages'][number][]): FlowPlan {
  return { ...SETUP, stages: phases };
}

/** The plan of a command. */
export function planFor(command: RunCommand): FlowPlan {
  switch (command) {
    case 'deploy':
      return DEPLOY;
    case 'revert':
      return REVERT;
    case 'mark-bad':
      return MARK_BAD;
    case 'setup':
      return SETUP;
    case 'exec':
      return query({ hosts: [checkPhase, execPhase] });
    case 'startup':
      return query({ hosts: [checkPhase, startupPhase] });
    default:
      return query({ hosts: [checkPhase, readPhase] });
  }
}
