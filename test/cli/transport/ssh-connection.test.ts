// The ssh2 transport against real sshd hosts: exec, env, stdin, streaming, concurrency, host-key
// verification, authentication and connection failures, each naming the host; jump hosts and
// ~/.ssh/config aliases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { errorLine } from '../../../cli/output/errors.js';
import { jumpHostsOfRun, openConnection } from '../../../cli/transport/ssh-connection.js';
import { readDeployEnvironment } from '../../../cli/deploy/config.js';
import type { RemoteConnection } from '../../../cli/transport/types.js';
import { execOnHost, startHosts, startSshd, stopHosts, stopSshd, waitForPort, type HostsHandle, type NetnsHostInternals, type TestHost } from '../../hosts/index.js';
import { hostTarget } from './host-target.js';

let env: HostsHandle;
let host: TestHost;
const dir = mkdtempSync(join(tmpdir(), 'pmx-transport-'));
const agentPids: number[] = [];


function knownHostsLine(h: TestHost): string {
  return readFileSync(h.knownHostsPath, 'utf8').split('\n').find((line) => line.startsWith(`${h.address} `))!;
}

function startAgent(): string {
  const sock = join(dir, `agent-${agentPids.length}.sock`);
  const out = execFileSync('ssh-agent', ['-a', sock, '-s']).toString();
  agentPids.push(Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]));
  return sock;
}

async function withAgentSocket<T>(sock: string, run: () => Promise<T>): Promise<T> {
  const saved = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = sock;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
  }
}

function lockedKey(name: string): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', file]);
  return file;
}

async function authorize(h: TestHost, keyFile: string): Promise<void> {
  await execOnHost(h, `cat >> /home/deploy/.ssh/authorized_keys`, { input: readFileSync(`${keyFile}.pub`, 'utf8') });
}

beforeAll(async () => {
  env = await startHosts({ count: 2, name: 'transport' });
  host = env.hosts[0]!;
});
afterAll(async () => {
  for (const pid of agentPids) process.kill(pid, 'SIGTERM');
  await stopHosts(env);
  rmSync(dir, { recursive: true, force: true });
});

describe('exec on one connection', () => {
  let conn: RemoteConnection;
  beforeAll(async () => {
    conn = await openConnection(hostTarget(host));
  });
  afterAll(() => conn.close());

  it('returns output and exit codes, a non-zero exit being a result and not an error', async () => {
    expect(await conn.exec('echo hello; echo oops >&2; exit 3')).toEqual({ code: 3, signal: null, stdout: 'hello\n', stderr: 'oops\n' });
    expect(await conn.exec('kill -TERM $$')).toMatchObject({ code: 143, signal: 'SIGTERM' });
  });

  it('streams output to the callbacks as it comes, multi-byte characters intact', async () => {
    const chunks: string[] = [];
    const errors: string[] = [];
    await conn.exec('for i in 1 2 3; do echo line$i; echo err$i >&2; sleep 0.05; done', { onStdout: (c) => chunks.push(c), onStderr: (c) => errors.push(c) });
    expect(chunks.join('')).toBe('line1\nline2\nline3\n');
    expect(chunks.length).toBeGreaterThan(1);
    expect(errors.join('')).toBe('err1\nerr2\nerr3\n');
    expect((await conn.exec(`for i in $(seq 20000); do printf 'é€'; done`)).stdout).toBe('é€'.repeat(20000));
  });

  it('exports env values literally: quotes, spaces and $(...) included', async () => {
    const value = `it's "quoted" $(touch /tmp/pwned) \`touch /tmp/pwned\` $HOME; exit 9`;
    const result = await conn.exec('printf %s "$ODD"; printf "|%s" "$PLAIN"', { env: { ODD: value, PLAIN: 'a b' } });
    expect(result).toMatchObject({ code: 0, stdout: `${value}|a b` });
    expect((await conn.exec('test -e /tmp/pwned; echo $?')).stdout.trim()).toBe('1');
  });

  it('pipes stdin from a string, a Buffer or a stream, then closes it', async () => {
    expect((await conn.exec('cat > /srv/in.txt && wc -c < /srv/in.txt', { stdin: 'x'.repeat(100_000) })).stdout.trim()).toBe('100000');
    expect((await conn.exec('sha256sum', { stdin: Buffer.from([0, 1, 2, 255]) })).stdout).toMatch(/^[0-9a-f]{64} /);
    const source = join(dir, 'bundle');
    mkdirSync(join(source, 'app'), { recursive: true });
    writeFileSync(join(source, 'app', 'index.js'), 'console.log(1)\n');
    const tar = spawn('tar', ['-c', '-C', source, 'app']);
    const result = await conn.exec('mkdir -p /srv/release && tar -x -C /srv/release && cat /srv/release/app/index.js', { stdin: tar.stdout });
    expect(result).toMatchObject({ code: 0, stdout: 'console.log(1)\n' });
    expect(await conn.exec('true', { stdin: Readable.from(['never read']) })).toMatchObject({ code: 0 });
  });

  it('runs commands concurrently on one connection', async () => {
    const started = Date.now();
    const results = await Promise.all([1, 2, 3, 4].map((n) => conn.exec(`sleep 0.3; echo ${n}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(['1', '2', '3', '4']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('kills a command that overruns its time limit and says so', async () => {
    await expect(conn.exec('echo $$ > /tmp/overrun.pid; exec sleep 30', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT', host: host.name });
    await new Promise((r) => setTimeout(r, 200));
    expect((await conn.exec('kill -0 $(cat /tmp/overrun.pid) 2>/dev/null; echo $?')).stdout.trim()).toBe('1');
  });
});

describe('host keys', () => {
  it('refuses an unknown host key, naming host and SHA256 fingerprint as ssh-keygen prints it', async () => {
    const empty = join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const error = await openConnection(hostTarget(host, { knownHostsFiles: [empty] })).catch((e: unknown) => e);
    const expected = /(SHA256:\S+)/.exec(execFileSync('ssh-keygen', ['-lf', '-'], { input: knownHostsLine(host) }).toString())![1]!;
    expect(error).toMatchObject({ code: 'HOST_KEY_UNKNOWN', host: host.name, detail: { fingerprint: expected } });
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toContain(`ssh-keyscan -p 22 ${host.address} >> ${empty}`);
  });

  it('refuses a host whose key changed, naming the known_hosts file and line', async () => {
    const otherKey = knownHostsLine(env.hosts[1]!).split(' ').slice(1).join(' ');
    const wrong = join(dir, 'wrong_known_hosts');
    writeFileSync(wrong, `# first line\n${host.address} ${otherKey}\n`);
    const error = await openConnection(hostTarget(host, { knownHostsFiles: [wrong] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOST_KEY_MISMATCH', host: host.name });
    expect((error as Error).message).toContain(`${wrong}:2`);
  });

  it('accepts hashed known_hosts entries', async () => {
    const hashed = join(dir, 'hashed_known_hosts');
    copyFileSync(host.knownHostsPath, hashed);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).not.toContain(host.address);
    const conn = await openConnection(hostTarget(host, { knownHostsFiles: [hashed] }));
    await conn.close();
  });

  it('records a new host with accept-new, and skips checking with no', async () => {
    const fresh = join(dir, 'new', 'known_hosts');
    await (await openConnection(hostTarget(host, { knownHostsFiles: [fresh], strictHostKeyChecking: 'accept-new' }))).close();
    expect(readFileSync(fresh, 'utf8')).toContain(host.address);
    await (await openConnection(hostTarget(host, { knownHostsFiles: [fresh] }))).close();
    await (await openConnection(hostTarget(host, { knownHostsFiles: [join(dir, 'none')], strictHostKeyChecking: 'no' }))).close();
  });
});

describe('a second sshd on port 2222 (MaxSessions 10, an ECDSA host key besides the ed25519 one)', () => {
  let stop: (() => Promise<void>) | null = null;
  let ecdsaKey = '';
  beforeAll(async () => {
    if (env.backend !== 'netns') return;
    const { dir: hostDir } = host.internals as NetnsHostInternals;
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(hostDir, 'ssh_host_ecdsa_key')]);
    ecdsaKey = readFileSync(join(hostDir, 'ssh_host_ecdsa_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const pidFile = join(hostDir, 'sshd-2222.pid');
    const options = [`ListenAddress=${host.address}:2222`, `PidFile=${pidFile}`, 'MaxSessions=10', `HostKey=${join(hostDir, 'ssh_host_ecdsa_key')}`, `HostKey=${join(hostDir, 'ssh_host_ed25519_key')}`];
    await execOnHost(host, `/usr/sbin/sshd -f ${join(hostDir, 'sshd_config')} ${options.map((o) => `-o ${o}`).join(' ')}`);
    await waitForPort(host.address, 2222, 5000);
    stop = async () => void (await execOnHost(host, `kill $(cat ${pidFile})`));
  });
  afterAll(() => stop?.());

  it('matches [host]:port entries, and negotiates the key type known_hosts has for the host', async (context) => {
    if (!stop) return context.skip();
    const file = join(dir, 'port_known_hosts');
    // the ed25519 key under the plain name (port 22) must not be taken for port 2222
    writeFileSync(file, `${knownHostsLine(host)}\n[${host.address}]:2222 ${ecdsaKey}\n`);
    const conn = await openConnection(hostTarget(host, { port: 2222, knownHostsFiles: [file] }));
    expect((await conn.exec('hostname')).stdout.trim()).toBe(host.name);
    await conn.close();
    writeFileSync(file, `${knownHostsLine(host)}\n`);
    await expect(openConnection(hostTarget(host, { port: 2222, knownHostsFiles: [file] }))).rejects.toMatchObject({ code: 'HOST_KEY_UNKNOWN', message: expect.stringContaining('ssh-keyscan -p 2222') });
  });

  it('queues commands beyond what sshd allows at once instead of failing them', async (context) => {
    if (!stop) return context.skip();
    const file = join(dir, 'port_known_hosts');
    writeFileSync(file, `[${host.address}]:2222 ${ecdsaKey}\n`);
    const conn = await openConnection(hostTarget(host, { port: 2222, knownHostsFiles: [file] }));
    const results = await Promise.all(Array.from({ length: 24 }, (_, n) => conn.exec(`sleep 0.2; echo ${n}`)));
    expect(results.map((r) => Number(r.stdout))).toEqual(Array.from({ length: 24 }, (_, n) => n));
    await conn.close();
  });
});

describe('authentication', () => {
  it('names the user and the keys it tried when refused', async () => {
    const stranger = join(dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const error = await openConnection(hostTarget(host, { keyFiles: [join(dir, 'missing'), stranger] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', host: host.name });
    expect((error as Error).message).toMatch(new RegExp(`refused for deploy \\(tried: ${stranger}; skipped: ${join(dir, 'missing')} \\(ENOENT\\)`));
  });

  it('says at once when there is no key to offer', async () => {
    const error = await openConnection(hostTarget(host, { keyFiles: [join(dir, 'missing')] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEY_UNREADABLE', host: host.name });
    expect((error as Error).message).toContain(join(dir, 'missing'));
  });

  it('asks for the passphrase of an encrypted key when its turn comes, and skips it without a prompt', async () => {
    const locked = lockedKey('locked');
    await authorize(host, locked);
    const asked: string[] = [];
    const conn = await openConnection(hostTarget(host, { keyFiles: [locked] }), { promptPassphrase: async (file) => (asked.push(file), asked.length === 1 ? 'wrong' : 'secret words') });
    expect((await conn.exec('whoami')).stdout.trim()).toBe('deploy');
    await conn.close();
    expect(asked).toEqual([locked, locked]);
    const error = await openConnection(hostTarget(host, { keyFiles: [locked] })).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${locked} (has a passphrase and there is no terminal to ask it on`);
    const cancelled = await openConnection(hostTarget(host, { keyFiles: [locked] }), { promptPassphrase: () => Promise.reject(new Error('cancelled')) }).catch((e: unknown) => e);
    expect(cancelled).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining(`${locked} (no passphrase given: cancelled)`) });
  });

  it('does not keep the connect timeout running while a person types the passphrase', async () => {
    const locked = lockedKey('slow');
    await authorize(host, locked);
    const slowly = async (): Promise<string> => new Promise((r) => setTimeout(() => r('secret words'), 1500));
    const conn = await openConnection(hostTarget(host, { keyFiles: [locked], connectTimeoutMs: 1000 }), { promptPassphrase: slowly });
    await conn.close();
  });

  it('logs in through a running ssh-agent, before asking for a passphrase the agent already holds', async () => {
    const sock = startAgent();
    const locked = lockedKey('agent-held');
    await authorize(host, locked);
    execFileSync('ssh-add', ['-q', host.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    await withAgentSocket(sock, async () => {
      const conn = await openConnection(hostTarget(host, { keyFiles: [], useAgent: true }));
      expect((await conn.exec('whoami')).stdout.trim()).toBe('deploy');
      await conn.close();
    });
    execFileSync('ssh-add', ['-D'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    execFileSync('ssh-add', ['-q', locked], { env: { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: writeAskpass('secret words'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, stdio: 'ignore' });
    await withAgentSocket(sock, async () => {
      const asked: string[] = [];
      const conn = await openConnection(hostTarget(host, { keyFiles: [locked], useAgent: true }), { promptPassphrase: async (file) => (asked.push(file), 'secret words') });
      await conn.close();
      expect(asked).toEqual([]);
    });
  });
});

function writeAskpass(passphrase: string): string {
  const file = join(dir, 'askpass.sh');
  writeFileSync(file, `#!/bin/sh\necho '${passphrase}'\n`, { mode: 0o700 });
  return file;
}

describe('connection failures, each naming the host', () => {
  it('reports a stopped sshd as refused, at once', async () => {
    await stopSshd(host);
    try {
      const started = Date.now();
      await expect(openConnection(hostTarget(host))).rejects.toMatchObject({ code: 'CONNECT_REFUSED', host: host.name });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await startSshd(host);
    }
  });

  it('gives up on an address where nothing answers within the connect timeout', async () => {
    // an unused address of the hosts' own /24 (our namespaces' network, nothing else)
    const silent = env.subnet!.replace(/\.0\/24$/, '.250');
    const started = Date.now();
    const error = await openConnection(hostTarget(host, { label: 'silent', hostname: silent, connectTimeoutMs: 2000 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(CONNECT_TIMEOUT|UNREACHABLE)$/), host: 'silent' });
    // the address is a field of the error, and the line shown names it
    expect(errorLine(error)).toMatch(new RegExp(`^silent \\(\\S+@${silent.replaceAll('.', '\\.')}:\\d+\\): `));
    expect(Date.now() - started).toBeLessThan(2600);
  });

  it('an aborted command ends with every process it started on the host, and rejects as INTERRUPTED', async () => {
    const conn = await openConnection(hostTarget(host));
    try {
      const controller = new AbortController();
      let out = '';
      const running = conn.exec('sleep 3001 & sleep 3002 & echo started; wait', {
        signal: controller.signal,
        onStdout: (chunk) => {
          out += chunk;
          if (out.includes('started')) controller.abort();
        },
      });
      await expect(running).rejects.toMatchObject({ code: 'INTERRUPTED', host: host.name });
      expect((await execOnHost(host, 'pgrep -f "sleep 300[12]" || echo none')).stdout.trim()).toBe('none');
      // the connection goes on; a command that finishes before the abort is a result, and its pid line is not output
      const done = await conn.exec('echo fine >&2', { signal: new AbortController().signal });
      expect([done.code, done.stderr]).toEqual([0, 'fine\n']);
    } finally {
      await conn.close();
    }
  });

  it('declares a host that stops answering dead within ServerAliveInterval x (ServerAliveCountMax + 1), as OpenSSH does', async () => {
    const conn = await openConnection(hostTarget(host, { keepaliveIntervalMs: 500, keepaliveCountMax: 2 }));
    const running = conn.exec('echo going; sleep 30', { onStdout: () => undefined });
    await conn.exec('true');
    await execOnHost(host, 'ip link set eth0 down');
    const cut = Date.now();
    try {
      await expect(running).rejects.toMatchObject({ code: 'CONNECTION_LOST', host: host.name });
      const after = Date.now() - cut;
      // probes at 0.5 s and 1 s unanswered, given up at the check at 1.5 s
      expect(after).toBeLessThan(500 * (2 + 1) + 1000);
    } finally {
      await execOnHost(host, 'ip link set eth0 up');
      await conn.close();
    }
    await waitForPort(host.address, host.port);
  });

  it('keeps a quiet connection to a live host with ServerAliveCountMax=1: the one probe it allows goes out and is answered', async () => {
    const conn = await openConnection(hostTarget(host, { keepaliveIntervalMs: 1000, keepaliveCountMax: 1 }));
    try {
      await conn.exec('true');
      // four quiet intervals: only the keepalive probes cross the link
      await new Promise((r) => setTimeout(r, 4000));
      await expect(conn.exec('echo still here')).resolves.toMatchObject({ code: 0, stdout: 'still here\n' });
    } finally {
      await conn.close();
    }
  });

  it('reports a connection cut while a command runs, and refuses later commands', async () => {
    const conn = await openConnection(hostTarget(host));
    const running = conn.exec('sleep 10');
    await new Promise((r) => setTimeout(r, 200));
    await stopSshd(host, { sessions: true });
    try {
      await expect(running).rejects.toMatchObject({ code: 'CONNECTION_LOST', host: host.name });
      await expect(conn.exec('true')).rejects.toMatchObject({ code: 'CONNECTION_LOST', host: host.name });
    } finally {
      await startSshd(host);
    }
  });
});

describe('jump hosts and ~/.ssh/config', () => {
  const established = async (h: TestHost): Promise<number> => Number((await execOnHost(h, `ss -Htn state established '( sport = :22 )' | wc -l`)).stdout.trim());

  it('reaches a host through another one, and closes both connections', async () => {
    const [jump, far] = env.hosts as [TestHost, TestHost];
    const before = await established(jump);
    const conn = await openConnection(hostTarget(far, { proxyJump: hostTarget(jump) }));
    expect((await conn.exec('hostname')).stdout.trim()).toBe(far.name);
    expect(await established(jump)).toBe(before + 1);
    await conn.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await established(jump)).toBe(before);
  });

  it('connections opened with one jump pool share one connection to the jump host, closed with the last of them', async () => {
    const [jump, far] = env.hosts as [TestHost, TestHost];
    const before = await established(jump);
    const jumps = jumpHostsOfRun();
    const [one, two] = await Promise.all([openConnection(hostTarget(far, { proxyJump: hostTarget(jump) }), { jumps }), openConnection(hostTarget(far, { label: 'far-again', proxyJump: hostTarget(jump) }), { jumps })]);
    expect(await established(jump)).toBe(before + 1);
    await one!.close();
    expect((await two!.exec('hostname')).stdout.trim()).toBe(far.name);
    expect(await established(jump)).toBe(before + 1);
    await two!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await established(jump)).toBe(before);
    // the pool opens a new one for the next host once the shared one closed
    const three = await openConnection(hostTarget(far, { proxyJump: hostTarget(jump) }), { jumps });
    expect((await three.exec('hostname')).stdout.trim()).toBe(far.name);
    await three.close();
  });

  it('reports a jump host failure for the host behind it', async () => {
    const [jump, far] = env.hosts as [TestHost, TestHost];
    const error = await openConnection(hostTarget(far, { proxyJump: hostTarget(jump, { keyFiles: [join(dir, 'stranger')] }) })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', host: far.name, detail: { jump: jump.name } });
  });

  it('connects to ~/.ssh/config aliases as readDeployEnvironment resolves them (HostName, User, Port, IdentityFile, ProxyJump)', async () => {
    const [first, second] = env.hosts as [TestHost, TestHost];
    const home = mkdtempSync(join(dir, 'home-'));
    mkdirSync(join(home, '.ssh'));
    const block = (alias: string, h: TestHost, extra = ''): string =>
      `Host ${alias}\n  HostName ${h.address}\n  User ${h.user}\n  Port ${h.port}\n  IdentityFile ${h.keyPath}\n  UserKnownHostsFile ${h.knownHostsPath}\n${extra}`;
    writeFileSync(join(home, '.ssh', 'config'), [block('app-one', first), block('app-two', second, '  ProxyJump app-one\n')].join('\n'));
    const deploy = { production: { host: ['app-one', 'app-two'], repo: 'git@example.com:me/app.git', ref: 'origin/main', path: '/srv/app' } };
    const environment = readDeployEnvironment(deploy, 'production', join(home, 'ecosystem.config.js'), { home, env: { USER: 'nobody-local' } });
    for (const [index, resolved] of environment.hosts.entries()) {
      const conn = await openConnection(resolved);
      expect((await conn.exec('echo $(hostname) $(whoami)')).stdout.trim()).toBe(`${env.hosts[index]!.name} deploy`);
      await conn.close();
    }
  });
});
