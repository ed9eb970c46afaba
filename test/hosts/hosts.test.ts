// Proof of the SSH test-host harness on real hosts: real sshd, real ssh client, real namespaces; no mocks.
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  execOnHost,
  hostFileExists,
  hostPids,
  isAlive,
  listLinks,
  listNetns,
  readHostFile,
  sshExec,
  startHosts,
  startSshd,
  stopAllHosts,
  stopHosts,
  stopSshd,
  waitForPort,
  waitUntil,
  type HostsHandle,
  type TestHost,
} from './index.js';

/** One line from a TCP server at address:port (the server answers and closes). */
function readLine(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    let data = '';
    sock.setTimeout(5000, () => sock.destroy(new Error(`no answer from ${address}:${port}`)));
    sock.on('data', (b: Buffer) => (data += b.toString()));
    sock.once('end', () => resolve(data));
    sock.once('error', reject);
  });
}

/** Command name of pid ('' once it is gone). */
function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Everything of an instance that must be gone after stopHosts. */
async function leftovers(env: HostsHandle): Promise<string[]> {
  const index = env.bridge!.replace(/^pmxb/, '');
  const ns = await listNetns(new RegExp(`^pmx${index}h\\d+$`));
  const links = await listLinks(new RegExp(`^(pmxb${index}|pmx${index}v\\d+)$`));
  return [...ns, ...links, ...(existsSync(env.baseDir) ? [env.baseDir] : [])];
}

let env: HostsHandle;
let h1: TestHost;
let h2: TestHost;
let h3: TestHost;

beforeAll(async () => {
  env = await startHosts({ count: 3, name: 'hosts-test' });
  [h1, h2, h3] = env.hosts as [TestHost, TestHost, TestHost];
  console.log(`[hosts] ${env.hosts.length} ${env.backend} hosts up in ${env.startMs} ms on ${env.subnet}`);
});

afterAll(async () => {
  await stopAllHosts(); // also when a test failed; stopping twice is a no-op
});

describe('SSH test hosts', () => {
  it('lets deploy log in on every host over real ssh, with node and git on PATH', async () => {
    const results = await Promise.all(
      env.hosts.map((h) => sshExec(h, 'whoami; node --version; git --version; hostname; command -v node')),
    );
    results.forEach((r, n) => {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [who, nodeVersion, git, hostname, nodePath] = r.stdout.trim().split('\n');
      expect(who).toBe('deploy');
      expect(nodeVersion).toBe(process.version); // the running node's dir comes first on PATH
      expect(git).toMatch(/^git version \d/);
      expect(hostname).toBe(env.hosts[n]!.name);
      expect(nodePath).toBe(process.execPath);
    });
  });

  it('gives each host its own address: two hosts listen on the same port at once', async () => {
    // readiness probes connect and close at once: the server must survive the reset
    const server =
      `require('net').createServer((s) => { s.on('error', () => {}); s.end(require('os').hostname() + '\\n'); })` +
      `.listen(8080)`;
    for (const h of [h1, h2]) {
      const r = await sshExec(h, `setsid -f node -e "${server}" </dev/null >/tmp/echo.log 2>&1`);
      expect(r.code).toBe(0);
    }
    await Promise.all([waitForPort(h1.address, 8080), waitForPort(h2.address, 8080)]);
    expect(await readLine(h1.address, 8080)).toBe('h1\n');
    expect(await readLine(h2.address, 8080)).toBe('h2\n');
    expect(h1.address).not.toBe(h2.address);
    const onH3 = await execOnHost(h3, 'cat /proc/net/tcp | grep -ci ":1F90 "');
    expect(onH3.stdout.trim()).toBe('0'); // h3 has its own port space: nothing on 8080 there
  });

  it('keeps /srv, home and /tmp per host: a file on host 1 is absent on host 2 and in the root namespace', async () => {
    const srvFile = `/srv/marker-${process.pid}`;
    const tmpFile = `/tmp/marker-${process.pid}`;
    expect((await sshExec(h1, `echo from-h1 > ${srvFile} && echo tmp > ${tmpFile} && touch ~/mark`)).code).toBe(0);
    expect(await readHostFile(h1, srvFile)).toBe('from-h1\n');
    expect(await hostFileExists(h1, tmpFile)).toBe(true);
    expect(await hostFileExists(h2, srvFile)).toBe(false);
    expect(await hostFileExists(h2, tmpFile)).toBe(false);
    expect(await hostFileExists(h2, '/home/deploy/mark')).toBe(false);
    expect(existsSync(srvFile)).toBe(false);
    expect(existsSync(tmpFile)).toBe(false);
    expect(existsSync('/home/deploy/mark')).toBe(false);
    expect((await execOnHost(h1, `stat -c %U ${srvFile}`)).stdout.trim()).toBe('deploy');
  });

  it('takes a host down mid-session and brings it back', async () => {
    // an open session is cut when the host goes down with its sessions
    const long = sshExec(h3, 'exec sleep 30');
    await waitUntil(
      async () => (await hostPids(h3)).some((p) => comm(p) === 'sleep'),
      10_000,
      () => 'the ssh session on h3 did not start',
    );
    await stopSshd(h3, { sessions: true });
    const cut = await long;
    expect(cut.code).not.toBe(0);

    const t0 = Date.now();
    const down = await sshExec(h3, 'true');
    console.log(`[hosts] ssh to a stopped host failed after ${Date.now() - t0} ms`);
    expect(down.code).toBe(255);
    expect(down.stderr).toMatch(/Connection refused/); // refused at once, not a timeout

    await startSshd(h3);
    const up = await sshExec(h3, 'whoami');
    expect(up.stderr).toBe('');
    expect(up.stdout.trim()).toBe('deploy'); // same host key: strict known_hosts check passes
  });

  it('removes the leftovers of an interrupted run of the same name when that name starts again', async () => {
    const first = await startHosts({ count: 1, name: 'hosts-test-stale' });
    const firstPids = await hostPids(first.hosts[0]!);
    expect(firstPids.length).toBeGreaterThan(0);
    const second = await startHosts({ count: 1, name: first.name }); // first was never stopped
    expect(second.name).toBe(first.name);
    for (const p of firstPids) expect(isAlive(p)).toBe(false);
    expect((await sshExec(second.hosts[0]!, 'whoami')).stdout.trim()).toBe('deploy');
    await stopHosts(first); // superseded: a no-op that must not touch the second instance
    expect((await sshExec(second.hosts[0]!, 'true')).code).toBe(0);
    await stopHosts(second);
    expect(await leftovers(second)).toEqual([]);
  });

  it('tears down without leaving a namespace, link, file or process behind', async () => {
    const pids = (await Promise.all(env.hosts.map((h) => hostPids(h)))).flat();
    expect(pids.length).toBeGreaterThanOrEqual(env.hosts.length * 2 + 2); // anchors, sshds, two servers
    expect((await leftovers(env)).length).toBeGreaterThan(0);
    await stopHosts(env);
    expect(await leftovers(env)).toEqual([]);
    expect(pids.filter((p) => isAlive(p))).toEqual([]);
  });
});
