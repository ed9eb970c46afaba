// Why an app stopped or went errored is never a mystery: the agent log records each exit of a child
// (its code or its signal) and the reason an app went errored, and describe shows the last exit.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PmxSandbox, eventually } from '../helpers/pmx.js';

const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

const agentLog = () => readFileSync(join(pmx.home, 'agent.log'), 'utf8');

describe('exits in the agent log and in describe', () => {
  it('records an exit code and, once restarts are exhausted, why the app is errored', async () => {
    const app = join(pmx.dir, 'crash.js');
    writeFileSync(app, 'process.exit(3);\n');
    await pmx.run(['start', app, '-n', 'crasher', '--max-restarts', '2', '--min-uptime', '5000']);
    await eventually('the app errored', async () => (await pmx.proc('crasher')).pm2_env.status === 'errored');
    const log = agentLog();
    expect(log.match(/crasher \(id \d+\) exited with code 3/g)?.length).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/crasher \(id \d+\) errored: 2 unstable restarts in a row \(each exit within min_uptime, 5000 ms; max_restarts is 2\)/);
    const described = await pmx.ok(['describe', 'crasher']);
    expect(described).toMatch(/│ last exit +│ code 3 at \d{4}-\d\d-\d\dT/);
  });

  it('records a signal that killed an app', async () => {
    const app = join(pmx.dir, 'hold.js');
    writeFileSync(app, 'setInterval(() => {}, 1000);\n');
    await pmx.ok(['start', app, '-n', 'killed', '--no-autorestart']);
    const { pid } = await pmx.proc('killed');
    process.kill(pid, 'SIGKILL');
    await eventually('the exit in the agent log', () => /killed \(id \d+\) exited with signal SIGKILL/.test(agentLog()));
    expect(await pmx.ok(['describe', 'killed'])).toMatch(/│ last exit +│ signal SIGKILL at /);
  });
});
