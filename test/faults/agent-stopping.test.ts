// A command that meets an agent on its way out (SIGTERM, pmx kill, while an app takes its
// kill_timeout to stop): a start, a save or a scale is refused, naming the agent, rather than
// answered "online" for an app the agent stops a moment later and the next agent never knew.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { processesOfHome } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-agent-stopping-');
afterAll(() => pmx.cleanup());

describe('the agent stopping every process to end', () => {
  it('refuses a start, a save and a scale, naming itself; nothing of them runs afterwards', async () => {
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'slow', '--kill-timeout', '6000'], { env: { PID_FILE: join(pmx.dir, 'slow.pid') } });
    await eventually('the app ready', () => readFileSync(join(pmx.home, 'logs', 'slow-out.log'), 'utf8').includes('stubborn ready'));
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGTERM');
    await eventually('the agent stopping', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes('stopping every process'));

    for (const args of [['start', join(apps, 'forever.js'), '-n', 'late'], ['save', '--force'], ['scale', 'slow', '2']]) {
      const refused = await pmx.run(args);
      expect(refused.code, `${args[0]}: ${refused.stdout}`).toBe(1);
      expect(refused.stderr).toContain(`the agent (pid ${agent}) is stopping every process to end: ${args[0]} refused`);
    }
    await eventually('the agent to end', () => !alive(agent), 15_000);
    expect(processesOfHome(pmx.home).filter(({ cmdline }) => cmdline.some((arg) => arg.endsWith('forever.js')))).toEqual([]);
    expect(await pmx.jlist()).toEqual([]);
  });
});
