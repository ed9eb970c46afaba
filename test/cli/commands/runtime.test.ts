// pmx-runtime as a container's main process: app output with prefixes, signals turned into a
// graceful stop, a failing exit once every app is dead, the boot hook's --resurrect, and the
// orphans it inherits as PID 1.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, ROOT, alive, childrenOf, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const RUNTIME = join(ROOT, 'bin/pmx-runtime.js');
// one home for the file: each test ends its runtime (an agent of this home) before the next starts
const pmx = new PmxSandbox('pmx-runtime-');
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => pmx.cleanup());

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(command, args, { env: pmx.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

function runtime(args: string[], env: Record<string, string> = {}): Running {
  return run(process.execPath, [RUNTIME, ...args], env);
}

/** An ecosystem file in the sandbox with these apps. */
function ecosystem(appsConfig: object[]): string {
  const file = join(pmx.dir, `apps-${Math.random().toString(36).slice(2)}.config.js`);
  writeFileSync(file, `module.exports = { apps: ${JSON.stringify(appsConfig)} };`);
  return file;
}

describe('pmx-runtime <file>', () => {
  it("prints each app's output with its id|name prefix: stdout on stdout, stderr on stderr", async () => {
    const rt = runtime([ecosystem([{ name: 'web', script: join(apps, 'forever.js'), args: ['one'] }])]);
    await eventually('the prefixed stdout line', () => /^0\|web \| forever \d+ one$/m.test(rt.stdout()));
    await eventually('the prefixed stderr line', () => rt.stderr().includes('0|web | to stderr\n'));
    expect(rt.stdout()).not.toContain('to stderr');
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
  });

  it('--raw prints the output as the apps wrote it', async () => {
    const rt = runtime([ecosystem([{ name: 'web', script: join(apps, 'forever.js') }]), '--raw']);
    await eventually('the raw stdout line', () => /^forever \d+ $/m.test(rt.stdout()));
    expect(rt.stdout()).not.toContain('|web |');
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('turns %s into a graceful stop of every app and exits 0', async (signal) => {
    const stopLogs = [join(pmx.dir, `stop-${signal}-a.log`), join(pmx.dir, `stop-${signal}-b.log`)];
    const file = ecosystem(stopLogs.map((log, index) => ({ name: `g${index}`, script: join(apps, 'graceful.js'), env: { STOP_LOG: log } })));
    const rt = runtime([file]);
    await eventually('both apps to be ready', () => rt.stdout().includes('0|g0 | graceful ready') && rt.stdout().includes('1|g1 | graceful ready'));
    rt.child.kill(signal);
    expect(await rt.exited).toBe(0);
    for (const log of stopLogs) expect(readFileSync(log, 'utf8')).toBe('SIGINT\n');
  });

  it('exits 1 once every app is dead, so that the orchestrator restarts the container', async () => {
    const launches = join(pmx.dir, 'launches-dead.log');
    const file = ecosystem([
      { name: 'once', script: join(apps, 'launches.js'), autorestart: false, env: { LAUNCH_LOG: launches, EXIT_AFTER: '200', EXIT_CODE: '0' } },
      { name: 'crashy', script: join(apps, 'launches.js'), max_restarts: 2, min_uptime: 5000, env: { LAUNCH_LOG: launches, EXIT_AFTER: '50', EXIT_CODE: '3' } },
    ]);
    const rt = runtime([file]);
    expect(await rt.exited).toBe(1);
    expect(rt.stderr()).toMatch(/No app is running any more \((once stopped, crashy errored|crashy errored, once stopped)\): exiting with code 1/);
    // the agent kept restarting crashy until its restart policy gave up: only then did the runtime exit
    expect(readFileSync(launches, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
  });

  it('--no-auto-exit keeps running when every app is dead', async () => {
    const launches = join(pmx.dir, 'launches-no-exit.log');
    const rt = runtime([ecosystem([{ name: 'once', script: join(apps, 'launches.js'), autorestart: false, env: { LAUNCH_LOG: launches, EXIT_AFTER: '0' } }]), '--no-auto-exit']);
    await eventually('the agent to listen', () => rt.stderr().includes('agent 0.1.0 started'));
    await eventually('the app to have stopped', async () => (await pmx.proc('once')).pm2_env.status === 'stopped');
    expect(rt.child.exitCode).toBeNull();
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
  });

  it('stops the agent and exits 1 when the file cannot be loaded', async () => {
    const rt = runtime([join(FIXTURES, 'ecosystem/syntax-error.config.js')]);
    expect(await rt.exited).toBe(1);
    expect(rt.stderr()).toContain('[PMX][ERROR]');
    expect(pmx.agentPid()).toBeNull(); // the pid file was given back
  });

  it('refuses an argument it does not understand', async () => {
    const rt = runtime(['--bogus']);
    expect(await rt.exited).toBe(2);
    expect(rt.stderr()).toContain("pmx-runtime does not understand '--bogus'");
  });
});

describe('pmx-runtime --resurrect (the boot hook)', () => {
  it('keeps running with nothing saved: a boot hook must not fail for that', async () => {
    for (const file of ['dump.pmx', 'dump.pmx.bak']) rmSync(join(pmx.home, file), { force: true });
    const rt = runtime(['--resurrect']);
    await eventually('the message', () => rt.stderr().includes('Nothing saved in'));
    expect(rt.child.exitCode).toBeNull();
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
  });

  it('waits for the agent already running, then takes over and resurrects what it saved', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept', '--namespace', 'ns']);
    await pmx.ok(['save']);
    const daemon = pmx.agentPid()!;
    const rt = runtime(['--resurrect']);
    await eventually('the runtime to wait', () => rt.stderr().includes(`An agent already runs in ${pmx.home} (pid ${daemon}): taking over once it ends`));
    expect(pmx.agentPid()).toBe(daemon);
    await pmx.ok(['kill']);
    // no CLI call before the runtime listens: it would start a detached agent of its own
    await eventually('the runtime to resurrect', () => rt.stderr().includes('Resurrected 1 process'));
    expect(pmx.agentPid()).toBe(rt.child.pid);
    const kept = await pmx.proc('kept');
    expect([kept.pm2_env.status, kept.pm2_env.namespace]).toEqual(['online', 'ns']);
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
    expect(alive(kept.pid)).toBe(false);
  });
});

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** An app that starts a child living `lifeMs`, detached, and exits at once: the child is orphaned. */
function orphanerFile(lifeMs: number): string {
  const dir = mkdtempSync(join(pmx.dir, 'orphaner-'));
  const orphaner = join(dir, 'orphaner.js');
  writeFileSync(
    orphaner,
    // with no environment: no launch marker, so the agent does not end it with its app (marked.ts), and PID 1 must reap it
    `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, ${lifeMs})'], { stdio: 'ignore', detached: true, env: {} });\n` +
      'console.log(`orphan ${c.pid}`);\nprocess.exit(0);\n',
  );
  return ecosystem([{ name: 'orphaner', script: orphaner, autorestart: false }]);
}

/** The pid, seen from here, of the process that is `innerPid` in the PID namespace of `parent`'s children. */
function outerPid(parent: number, innerPid: number): number | undefined {
  return childrenOf(parent).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/status`, 'latin1').match(/^NSpid:\s.*\s(\d+)$/m)?.[1] === String(innerPid);
    } catch {
      return false; // gone meanwhile
    }
  });
}

describe('pmx-runtime as PID 1', () => {
  it.skipIf(!canUnshare)('bin/pmx-runtime keeps a shell in front that reaps the orphans, and still stops gracefully', async () => {
    const rt = run('unshare', ['--pid', '--fork', '--mount-proc', join(ROOT, 'bin/pmx-runtime'), orphanerFile(2000), '--no-auto-exit']);
    const orphan = Number((await eventually('the orphan pid', () => rt.stdout().match(/0\|orphaner \| orphan (\d+)/)))[1]);
    // seen from outside the namespace: the orphan was handed to our PID 1, the shell...
    const shell = childrenOf(rt.child.pid!)[0]!;
    expect(readFileSync(`/proc/${shell}/comm`, 'latin1').trim()).toBe('pmx-runtime');
    const outer = await eventually('the orphan under PID 1', () => outerPid(shell, orphan));
    // ...which reaps it when it exits: no zombie is left behind
    await eventually('the orphan reaped', () => !existsSync(`/proc/${outer}`));
    expect(rt.stderr()).not.toContain('cannot reap');
    process.kill(shell, 'SIGTERM'); // passed on to Node; unshare passes our exit code on
    expect(await rt.exited).toBe(0);
  });

  // Node reaps only the children it spawned (libuv waits on their pids); it has no waitpid(-1).
  // Started as PID 1 without the shell (node bin/pmx-runtime.js, as in a distroless image), the
  // orphans stay zombies: pmx-runtime says so, with the fix.
  it.skipIf(!canUnshare)('node itself as PID 1 cannot reap: it reports the orphans with the fix, and still stops gracefully', async () => {
    const rt = run('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, RUNTIME, orphanerFile(300), '--no-auto-exit'], { PMX_SAMPLE_INTERVAL_MS: '200' });
    await eventually('the PID 1 notice', () => rt.stderr().includes('pmx-runtime is PID 1'));
    const orphan = (await eventually('the orphan pid', () => rt.stdout().match(/0\|orphaner \| orphan (\d+)/)))[1];
    await eventually('the zombie report', () => rt.stderr().includes(`cannot be reaped (pid ${orphan})`));
    expect(rt.stderr()).toContain('docker run --init');
    // seen from outside the namespace: the zombie is really there, a child of our PID 1
    const inner = childrenOf(rt.child.pid!)[0]!;
    const zombies = childrenOf(inner).filter((pid) => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.startsWith('Z'));
    expect(zombies).toHaveLength(1);
    process.kill(inner, 'SIGTERM');
    expect(await rt.exited).toBe(0);
  });
});
