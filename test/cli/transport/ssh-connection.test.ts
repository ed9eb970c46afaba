// The ssh2 transport against real sshd hosts: exec, env, stdin, streaming, concurrency, host-key
// verification, authentication and connection failures, each naming the host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../../cli/transport/ssh-connection.js';
import { fingerprint } from '../../../cli/transport/known-hosts.js';
import type { HostTarget } from '../../../cli/deploy/types.js';
import type { RemoteConnection } from '../../../cli/transport/types.js';
import { execOnHost, startHosts, startSshd, stopHosts, stopSshd, type HostsHandle, type TestHost } from '../../hosts/index.js';

let env: HostsHandle;
let host: TestHost;
const dir = mkdtempSync(join(tmpdir(), 'pmx-transport-'));

function target(h: TestHost, overrides: Partial<HostTarget> = {}): HostTarget {
  return {
    label: h.name,
    hostname: h.address,
    port: h.port,
    user: h.user,
    keyFiles: [h.keyPath],
    useAgent: false,
    forwardAgent: false,
    knownHostsFiles: [h.knownHostsPath],
    strictHostKeyChecking: 'yes',
    connectTimeoutMs: 3000,
    keepaliveIntervalMs: 15_000,
    proxyJump: null,
    ...overrides,
  };
}

beforeAll(async () => {
  env = await startHosts({ count: 2, name: 'transport' });
  host = env.hosts[0]!;
});
afterAll(async () => {
  await stopHosts(env);
});

describe('ssh connection', () => {
  let conn: RemoteConnection;
  beforeAll(async () => {
    conn = await openConnection(target(host));
  });
  afterAll(() => conn.close());

  it('runs commands with their exit codes, and streams output as it comes', async () => {
    expect(await conn.exec('echo hello; echo oops >&2; exit 3')).toMatchObject({ code: 3, stdout: 'hello\n', stderr: 'oops\n' });
    const chunks: string[] = [];
    await conn.exec('for i in 1 2 3; do echo line$i; sleep 0.05; done', { onStdout: (chunk) => chunks.push(chunk) });
    expect(chunks.join('')).toBe('line1\nline2\nline3\n');
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('exports env values literally, quotes, spaces and $(...) included', async () => {
    const value = `it's "quoted" $(touch /tmp/pwned) \`x\` $HOME`;
    const result = await conn.exec('printf %s "$ODD"', { env: { ODD: value } });
    expect(result.stdout).toBe(value);
    expect((await conn.exec('test -e /tmp/pwned; echo $?')).stdout.trim()).toBe('1');
  });

  it('feeds stdin and runs commands concurrently on one connection', async () => {
    expect((await conn.exec('cat > /srv/in.txt && wc -c < /srv/in.txt', { stdin: 'x'.repeat(100_000) })).stdout.trim()).toBe('100000');
    const results = await Promise.all([1, 2, 3, 4].map((n) => conn.exec(`sleep 0.2; echo ${n}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(['1', '2', '3', '4']);
  });

  it('ends a command that overruns its time limit', async () => {
    await expect(conn.exec('sleep 5', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT', host: host.name });
  });
});

describe('refusals, each naming the host', () => {
  it('refuses an unknown host key, showing its SHA256 fingerprint', async () => {
    const empty = join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const error = await openConnection(target(host, { knownHostsFiles: [empty] })).catch((e: unknown) => e);
    const line = readFileSync(host.knownHostsPath, 'utf8').split('\n').find((l) => l.startsWith(`${host.address} `))!;
    const expected = fingerprint(Buffer.from(line.split(' ')[2]!, 'base64'));
    expect(error).toMatchObject({ code: 'HOST_KEY_UNKNOWN', host: host.name });
    expect((error as Error).message).toContain(expected);
    expect(execFileSync('ssh-keygen', ['-lf', '-'], { input: line }).toString()).toContain(expected);
  });

  it('refuses a host whose key changed, naming the known_hosts line', async () => {
    const other = env.hosts[1]!;
    const otherKey = readFileSync(other.knownHostsPath, 'utf8').split('\n').find((l) => l.startsWith(`${other.address} `))!.split(' ').slice(1).join(' ');
    const wrong = join(dir, 'wrong_known_hosts');
    writeFileSync(wrong, `# first line\n${host.address} ${otherKey}\n`);
    const error = await openConnection(target(host, { knownHostsFiles: [wrong] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOST_KEY_MISMATCH', host: host.name });
    expect((error as Error).message).toContain(`${wrong}:2`);
  });

  it('accepts and records a new host with accept-new', async () => {
    const fresh = join(dir, 'fresh_known_hosts');
    writeFileSync(fresh, '');
    const conn = await openConnection(target(host, { knownHostsFiles: [fresh], strictHostKeyChecking: 'accept-new' }));
    await conn.close();
    expect(readFileSync(fresh, 'utf8')).toContain(host.address);
    const again = await openConnection(target(host, { knownHostsFiles: [fresh] }));
    await again.close();
  });

  it('names the keys it tried when authentication is refused', async () => {
    const stranger = join(dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const error = await openConnection(target(host, { keyFiles: [stranger] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', host: host.name });
    expect((error as Error).message).toContain(stranger);
  });

  it('uses a passphrase key through the prompt', async () => {
    const locked = join(dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', locked]);
    const pub = readFileSync(`${locked}.pub`, 'utf8').trim();
    await execOnHost(host, `echo '${pub}' >> /home/deploy/.ssh/authorized_keys`);
    const asked: string[] = [];
    const conn = await openConnection(target(host, { keyFiles: [locked] }), { promptPassphrase: async (file) => (asked.push(file), 'secret words') });
    expect((await conn.exec('whoami')).stdout.trim()).toBe('deploy');
    await conn.close();
    expect(asked).toEqual([locked]);
  });

  it('authenticates through a running ssh-agent', async () => {
    const sock = join(dir, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-a', sock, '-s']).toString();
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync('ssh-add', ['-q', host.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      process.env.SSH_AUTH_SOCK = sock;
      const conn = await openConnection(target(host, { keyFiles: [], useAgent: true }));
      expect((await conn.exec('whoami')).stdout.trim()).toBe('deploy');
      await conn.close();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      process.kill(agentPid, 'SIGTERM');
    }
  });

  it('reports a stopped sshd as refused, at once', async () => {
    await stopSshd(host);
    try {
      const started = Date.now();
      await expect(openConnection(target(host))).rejects.toMatchObject({ code: 'CONNECT_REFUSED', host: host.name });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await startSshd(host);
    }
  });

  it('gives up on an address where nothing answers within the connect timeout', async () => {
    // an unused address of the hosts' own /24 (our namespaces' network, nothing else)
    const silent = env.subnet!.replace(/\.0\/24$/, '.250');
    const started = Date.now();
    const error = await openConnection(target(host, { hostname: silent, connectTimeoutMs: 1500 })).catch((e: unknown) => e);
    expect(['CONNECT_TIMEOUT', 'UNREACHABLE']).toContain((error as { code: string }).code);
    expect(Date.now() - started).toBeLessThan(3500);
  });

  it('reports a connection cut while a command runs', async () => {
    const conn = await openConnection(target(host));
    const running = conn.exec('sleep 10');
    await stopSshd(host, { sessions: true });
    try {
      await expect(running).rejects.toMatchObject({ code: 'CONNECTION_LOST', host: host.name });
    } finally {
      await startSshd(host);
    }
  });
});

describe('ProxyJump', () => {
  it('reaches a host through another one', async () => {
    const [jump, far] = env.hosts as [TestHost, TestHost];
    const conn = await openConnection(target(far, { proxyJump: target(jump) }));
    expect((await conn.exec('hostname')).stdout.trim()).toBe(far.name);
    await conn.close();
  });
});
