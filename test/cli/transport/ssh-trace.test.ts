// The transport's round trips against a real sshd: a command after the first runs on a channel
// opened ahead of it (one round trip before it runs, not two), a server that allows one session at
// a time still runs every command, and the opt-in PMX_SSH_TRACE records each login, channel and
// command with its label, never the command's text.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../../cli/transport/ssh-connection.js';
import type { TraceOp } from '../../../cli/transport/trace.js';
import { execOnHost, startHosts, stopHosts, waitForPort, type HostsHandle, type NetnsHostInternals, type TestHost } from '../../hosts/index.js';
import { hostTarget } from './host-target.js';

let env: HostsHandle;
let host: TestHost;
const dir = mkdtempSync(join(tmpdir(), 'pmx-trace-'));
const traceFile = join(dir, 'trace.jsonl');


const traced = (): TraceOp[] =>
  readFileSync(traceFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TraceOp);

beforeAll(async () => {
  env = await startHosts({ count: 1, name: 'transport-trace' });
  host = env.hosts[0]!;
});
afterEach(() => {
  delete process.env.PMX_SSH_TRACE;
  rmSync(traceFile, { force: true });
});
afterAll(async () => {
  await stopHosts(env);
  rmSync(dir, { recursive: true, force: true });
});

describe('PMX_SSH_TRACE', () => {
  it('records the login, the channel opened ahead and each command with its label and times, never the command text', async () => {
    process.env.PMX_SSH_TRACE = traceFile;
    const conn = await openConnection(hostTarget(host));
    try {
      expect((await conn.exec('echo first-secret-value', { label: 'check' })).stdout).toBe('first-secret-value\n');
      expect((await conn.exec('echo second-secret-value', { label: 'fetch' })).stdout).toBe('second-secret-value\n');
      await conn.exec('true');
    } finally {
      await conn.close();
    }
    const text = readFileSync(traceFile, 'utf8');
    expect(text).not.toContain('secret');
    const ops = traced();
    expect(ops[0]).toMatchObject({ host: host.name, kind: 'connect', label: 'login', trips: 0 });
    const commands = ops.filter((op) => op.kind === 'exec');
    expect(commands.map((op) => op.label)).toEqual(['check', 'fetch', 'command']);
    for (const op of commands) {
      expect(op.requested).toBeLessThanOrEqual(op.ready);
      expect(op.ready).toBeLessThanOrEqual(op.end);
    }
    // each command took the channel opened ahead, and another was opened in its place
    expect(commands.every((op) => op.ahead)).toBe(true);
    expect(ops.filter((op) => op.kind === 'open')).toHaveLength(commands.length + 1);
  });

  it('writes nothing when it is not set', async () => {
    const conn = await openConnection(hostTarget(host));
    await conn.exec('true', { label: 'check' });
    await conn.close();
    expect(existsSync(traceFile)).toBe(false);
  });
});

describe('channels opened ahead', () => {
  it('a command that follows another costs one round trip before it runs: its exec request on a channel already open', async () => {
    process.env.PMX_SSH_TRACE = traceFile;
    const conn = await openConnection(hostTarget(host));
    try {
      await conn.exec('true', { label: 'first' });
      await conn.exec('true', { label: 'second' });
    } finally {
      await conn.close();
    }
    const second = traced().find((op) => op.label === 'second')!;
    expect(second).toMatchObject({ kind: 'exec', ahead: true, trips: 1 });
  });

  it('a server that allows one session at a time still runs every command, concurrent ones queued', async (context) => {
    if (env.backend !== 'netns') return context.skip();
    const { dir: hostDir } = host.internals as NetnsHostInternals;
    const pidFile = join(hostDir, 'sshd-2223.pid');
    const options = [`ListenAddress=${host.address}:2223`, `PidFile=${pidFile}`, 'MaxSessions=1'];
    await execOnHost(host, `/usr/sbin/sshd -f ${join(hostDir, 'sshd_config')} ${options.map((o) => `-o ${o}`).join(' ')}`);
    try {
      await waitForPort(host.address, 2223, 5000);
      const knownHosts = join(dir, 'known_hosts_2223');
      const key = readFileSync(host.knownHostsPath, 'utf8').split('\n').find((line) => line.startsWith(`${host.address} `))!.split(' ').slice(1).join(' ');
      writeFileSync(knownHosts, `[${host.address}]:2223 ${key}\n`);
      const conn = await openConnection(hostTarget(host, { port: 2223, knownHostsFiles: [knownHosts] }));
      try {
        for (let n = 0; n < 3; n++) expect((await conn.exec(`echo ${n}`)).stdout).toBe(`${n}\n`);
        const results = await Promise.all(Array.from({ length: 4 }, (_, n) => conn.exec(`sleep 0.1; echo ${n}`)));
        expect(results.map((r) => r.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n']);
      } finally {
        await conn.close();
      }
    } finally {
      await execOnHost(host, `kill $(cat ${pidFile})`);
    }
  });
});
