// One agent per home, whatever races: the home's lock is taken by the kernel (flock), not read
// and then written, so commands started at the same moment never leave two agents behind.
import { afterAll, describe, expect, it } from 'vitest';
import { PmxSandbox } from '../helpers/pmx.js';
import { agentsOf, lockHoldersOf } from '../helpers/home-processes.js';

const pmx = new PmxSandbox('pmx-two-agents-');
afterAll(() => pmx.cleanup());

const ROUNDS = 6;
const AT_ONCE = 10;

describe('commands racing to start the agent', () => {
  it(`${AT_ONCE} pmx ls started at once, ${ROUNDS} rounds: exactly one agent each round, and every ls answered by it`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const runs = await Promise.all(Array.from({ length: AT_ONCE }, () => pmx.run(['jlist'], { timeoutMs: 60_000 })));
      for (const run of runs) expect(run.code, `round ${round}: ${run.stderr}`).toBe(0);
      for (const run of runs) expect(JSON.parse(run.stdout)).toEqual([]);
      const agents = agentsOf(pmx.home);
      expect(agents, `round ${round}`).toHaveLength(1);
      expect(lockHoldersOf(pmx.home)).toEqual(agents);
      expect(pmx.agentPid()).toBe(agents[0]);
      await pmx.ok(['kill']);
      expect(agentsOf(pmx.home)).toEqual([]);
    }
  }, 300_000);
});
