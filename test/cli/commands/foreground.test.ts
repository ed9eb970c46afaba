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

  it("pmx start <script> --no-daemon stays in the foreground with the app and its output, as PM2's (a container's command exited at once, ending the container)", async () => {
    const script = join(pmx.dir, 'hello.js');
    writeFileSync(script, "console.log('hello from the app'); setInterval(() => {}, 1000);");
    const run = foreground([join(ROOT, 'bin/pmx.cjs'), 'start', script, '-n', 'nd', '--no-daemon']);
    await eventually("the app's line on the command's stdout", () => run.output().includes('0|nd | hello from the app'));
    expect(pmx.agentPid()).toBe(run.child.pid);
    const app = await pmx.proc('nd');
    expect(app.pm2_env.status).toBe('online');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(alive(app.pid)).toBe(false);
  });

  it('pmx start <ecosystem file> --no-daemon stays too, though the file left a timer open (a command that loads one exits when done: here the agent is what runs)', async () => {
    const script = join(pmx.dir, 'hello-file.js');
    writeFileSync(script, "console.log('hello from the file app'); setInterval(() => {}, 1000);");
    const file = join(pmx.dir, 'nd-file.config.js');
    writeFileSync(file, `setInterval(() => {}, 1000);\nmodule.exports = { apps: [{ name: 'ndf', script: ${JSON.stringify(script)} }] };\n`);
    const run = foreground([join(ROOT, 'bin/pmx.cjs'), 'start', file, '--no-daemon']);
    await eventually("the app's line on the command's stdout", () => run.output().includes('|ndf | hello from the file app'));
    const app = await pmx.proc('ndf');
    // past the start: still the agent, the app still running under it
    await pmx.ok(['ping']);
    expect([pmx.agentPid(), run.child.exitCode, alive(app.pid)]).toEqual([run.child.pid, null, true]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(alive(app.pid)).toBe(false);
  });

  it('pmx start <missing script> --no-daemon exits 1 and leaves no agent behind', async () => {
    const run = foreground([join(ROOT, 'bin/pmx.cjs'), 'start', join(pmx.dir, 'missing.js'), '--no-daemon']);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('missing.js');
    expect(pmx.agentPid()).toBe(null);
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
