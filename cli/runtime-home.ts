// The home of a foreground agent (pmx-runtime), taken before the agent's modules are loaded: at
// boot, a `pmx jlist` started at the same moment finds the home held and waits for this agent
// rather than starting a rival. Only the lock's own small modules are loaded here.
import type { AgentHome } from '../agent/protocol/home.js';
import { acquireHomeLock, type HomeLock } from '../agent/lock.js';
import { connectAgent } from './client/agent.js';
import { CliError } from './client/errors.js';

/**
 * Takes the home's lock. With `waitForOther`, an agent already running there is waited for (its
 * end is this one's start); if it runs nothing (a command started it just before this boot hook),
 * it is asked to resurrect the saved apps meanwhile, so they run at once, and once.
 */
export async function takeHome(home: AgentHome, waitForOther: boolean): Promise<HomeLock> {
  try {
    return await acquireHomeLock(home);
  } catch (error) {
    const { code, data } = error as { code?: string; data?: { pid?: number | null } };
    if (!waitForOther || code !== 'ALREADY_RUNNING') throw error;
    const pid = data?.pid ? ` (pid ${data.pid})` : '';
    process.stderr.write(`[PMX] An agent already runs in ${home.root}${pid}: taking over once it ends ('pmx kill' ends it)\n`);
    await resurrectInto(home);
    return acquireHomeLock(home, { wait: true });
  }
}

/** Asks the running agent to resurrect the dump, when it runs nothing yet. */
async function resurrectInto(home: AgentHome): Promise<void> {
  let agent;
  try {
    agent = await connectAgent(home, { spawn: false });
  } catch (error) {
    process.stderr.write(`[PMX] The running agent does not answer (${(error as Error).message}): the saved apps are started once it ends\n`);
    return;
  }
  if (!agent) return;
  try {
    if ((await agent.call('list', {})).length > 0) return;
    const { processes, file } = await agent.call('resurrect', {});
    process.stderr.write(`[PMX] The running agent resurrected ${processes.length} process${processes.length === 1 ? '' : 'es'} from ${file}\n`);
  } catch (error) {
    if (!(error instanceof CliError && error.code === 'DUMP_MISSING')) process.stderr.write(`[PMX][WARN] The running agent could not resurrect the saved apps: ${(error as Error).message}\n`);
  } finally {
    agent.close();
  }
}
