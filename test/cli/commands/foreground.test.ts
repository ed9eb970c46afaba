// The agent in the foreground: `pmx --no-daemon` and `pmx-runtime <file>`, for systemd and containers.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, ROOT, alive, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

function foreground(args: string[]) {
  const child = spawn(process.execPath, args, { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('foreground agent', () => {
  it('pmx --no-daemon serves the CLI and stops every app on SIGTERM', async () => {
    const agent = foreground([join(ROOT, 'bin/pmx.cjs'), '--no-daemon']);
    await eventually('the agent to log that it started', () => agent.output().includes('agent 0.1.0 started'));
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'fg']);
    expect(pmx.agentPid()).toBe(agent.child.pid);
    const app = await pmx.proc('fg');
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(alive(app.pid)).toBe(false);
  });

  it('pmx-runtime starts the apps of a file and stops them on SIGINT', async () => {
    const file = join(pmx.dir, 'runtime.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'rt', script: ${JSON.stringify(join(apps, 'forever.js'))} }] };`);
    const runtime = foreground([join(ROOT, 'bin/pmx-runtime.js'), file]);
    // ask only once it listens: an earlier CLI call would start a detached agent of its own
    await eventually('the agent to log that it started', () => runtime.output().includes('agent 0.1.0 started'));
    const app = await eventually('the app to be online', async () => {
      const list = await pmx.jlist().catch(() => []);
      return list.find((p) => p.name === 'rt' && p.pm2_env.status === 'online');
    });
    runtime.child.kill('SIGINT');
    expect(await runtime.exited).toBe(0);
    expect(alive(app.pid)).toBe(false);
  });
});
