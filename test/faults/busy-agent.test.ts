// An agent slow to answer: one that is busy (starting many apps on a loaded machine, its CPU time
// growing) is waited for, where a command used to fail after 5 s telling the user to end the
// agent's process mid-start; one that does not run at all (stopped) is still reported, with its pid.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { PROTOCOL_VERSION } from '../../agent/protocol/types.js';

const started: ChildProcess[] = [];
const stopped = new Set<number>();
const sandboxes: PmxSandbox[] = [];
afterEach(() => {
  for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');
  stopped.clear();
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.length = 0;
});
afterAll(async () => {
  for (const sandbox of sandboxes) await sandbox.cleanup();
});

/**
 * A stand-in agent that holds the home's lock (flock(1) takes it and becomes this process),
 * listens on the home's socket, and on its first request computes for `busyMs` before it answers
 * hello: an agent whose event loop is taken by work.
 */
function busyAgent(home: string, busyMs: number): ChildProcess {
  const script = `
const { createServer } = require('node:net');
const { writeFileSync } = require('node:fs');
const home = ${JSON.stringify(home)};
writeFileSync(home + '/agent.pid', String(process.pid));
createServer((socket) => {
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk;
    if (!text.includes('\\n')) return;
    const request = JSON.parse(text.slice(0, text.indexOf('\\n')));
    for (const end = Date.now() + ${busyMs}; Date.now() < end; );
    socket.write(JSON.stringify({ id: request.id, ok: true, result: { protocol: ${PROTOCOL_VERSION}, version: 'busy', pid: process.pid, home } }) + '\\n');
  });
}).listen(home + '/agent.sock', () => console.log('listening'));
`;
  const child = spawn('flock', ['--exclusive', '--nonblock', '--no-fork', join(home, 'agent.lock'), process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  return child;
}

describe('an agent slow to answer hello', () => {
  it('is waited for while it is busy (its CPU time grows), and the command goes on once it answers', async () => {
    const pmx = new PmxSandbox('pmx-busy-agent-');
    sandboxes.push(pmx);
    mkdirSync(pmx.home, { recursive: true, mode: 0o700 });
    const agent = busyAgent(pmx.home, 7_000);
    await new Promise<void>((resolve) => agent.stdout!.once('data', () => resolve()));
    const ping = await pmx.run(['ping'], { timeoutMs: 30_000 });
    expect(ping.stderr).toContain('is busy and has not answered yet: waiting for it');
    expect(ping.stdout).toContain('pong');
    expect(ping.code).toBe(0);
  });

  it('is reported with its pid and the way to stop it when it does not run at all (stopped)', async () => {
    const pmx = new PmxSandbox('pmx-stopped-agent-');
    sandboxes.push(pmx);
    await pmx.ok(['start', join(FIXTURES, 'apps', 'forever.js'), '-n', 'kept']);
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGSTOP');
    stopped.add(agent);
    const ping = await pmx.run(['ping'], { timeoutMs: 30_000 });
    expect(ping.code).toBe(1);
    expect(ping.stderr).toContain(`the agent (pid ${agent}) did not answer 'hello' within 5 s`);
    expect(ping.stderr).toContain("'pmx kill' stops the agent and its processes");
    expect(ping.stderr).not.toContain('is busy');
    process.kill(agent, 'SIGCONT');
    stopped.delete(agent);
    await eventually('the agent to answer again', async () => (await pmx.run(['ping'])).code === 0);
    await pmx.ok(['kill']);
  });
});
