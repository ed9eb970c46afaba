// Whether a process listens, read from /proc: what a fork-mode reload waits for. Real processes: a
// server on a TCP port, one on a Unix socket, one that only connects out, one with no socket at all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listens } from '../../../agent/os/listening.js';
import { eventually } from '../../helpers/pmx.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-listening-'));
const children: ChildProcess[] = [];
const groups: number[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  // the wrapper's node, in the wrapper's own process group
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A node process running `code`, once it printed `up` (what it printed with it in `said`). */
async function node(code: string): Promise<ChildProcess & { said: string }> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  const said = await new Promise<string>((resolve) => child.stdout!.on('data', (data: Buffer) => (out += data.toString()).includes('up') && resolve(out)));
  return Object.assign(child, { said });
}

describe('listens', () => {
  it('is true for a process with a listening TCP port or Unix socket', async () => {
    const tcp = await node("require('node:net').createServer().listen(0, '127.0.0.1', () => console.log('up'))");
    const unix = await node(`require('node:net').createServer().listen(${JSON.stringify(join(dir, 'app.sock'))}, () => console.log('up'))`);
    expect(await listens(tcp.pid!)).toBe(true);
    expect(await listens(unix.pid!)).toBe(true);
  });

  it("is true for a wrapper whose child listens (npm start's shell and node)", async () => {
    const server = "require('node:net').createServer().listen(0, '127.0.0.1', () => console.log('up'))";
    // `; true` keeps sh from exec'ing node in its place: node is its child
    const wrapper = spawn('sh', ['-c', `"${process.execPath}" -e "${server.replace(/"/g, '\\"')}"; true`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    groups.push(wrapper.pid!);
    await new Promise<void>((resolve) => wrapper.stdout!.on('data', (data: Buffer) => data.toString().includes('up') && resolve()));
    expect(await listens(wrapper.pid!)).toBe(true);
  });

  it('is false for a process whose sockets only connect out, or that has none', async () => {
    const server = await node("const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log('up ' + s.address().port))");
    const port = Number(/up (\d+)/.exec(server.said)![1]);
    const client = await node(`require('node:net').connect(${port}, '127.0.0.1', () => console.log('up'))`);
    const idle = await node("setInterval(() => {}, 1000); console.log('up')");
    expect(await listens(client.pid!)).toBe(false);
    expect(await listens(idle.pid!)).toBe(false);
  });

  it('is null for a process that is gone', async () => {
    const gone = await node("console.log('up')");
    await eventually('the process to exit', () => gone.exitCode !== null);
    expect(await listens(gone.pid!)).toBeNull();
  });
});
