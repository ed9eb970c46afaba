// Namespace backend: N hosts, each an sshd in its own network + mount + UTS namespaces on this machine.
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { allocateInstance, bridgeIfindex, hostAddress, netnsName } from './instance-registry.js';
import { configureBridge, createHostLinks, ensureNetnsRunDir, insideNetworkScript, netnsPids } from './netns-links.js';
import { DEPLOY_USER, ensureDeployUser, generateKey, prepareHostDir } from './host-files.js';
import { publicKey, writeKnownHosts } from './host-files.js';
import { withMachineLock } from './machine-lock.js';
import { assertNetnsPrerequisites, SSHD } from './prerequisites.js';
import { isAlive, signalPid, spawnDetached, waitForPort, waitPidGone } from './process-utils.js';
import { sshExec } from './ssh-client.js';
import { cleanupStaleLocked, freeNameLocked, reapOrphansLocked, teardownIndex } from './teardown.js';
import type { HostsHandle, NetnsHostInternals, StartHostsOptions, TestHost } from './types.js';

/** Instances this process started and has not stopped: index and bridge ifindex, by handle. */
const owned = new WeakMap<HostsHandle, { index: number; ifindex: number }>();

/** Start `count` namespace hosts for instance `name` (leftovers of a dead run of that name go first). */
export async function startNetnsHosts(opts: StartHostsOptions & { name: string }): Promise<HostsHandle> {
  assertNetnsPrerequisites();
  const t0 = performance.now();
  const { count } = opts;
  const { name, layout, user } = await withMachineLock(async () => {
    await reapOrphansLocked();
    const free = await freeNameLocked(opts.name);
    await cleanupStaleLocked(free);
    await ensureNetnsRunDir();
    return { name: free, user: await ensureDeployUser(), layout: await allocateInstance(free) };
  });
  try {
    const { baseDir } = layout;
    await mkdir(baseDir, { mode: 0o755 });
    await chmod(baseDir, 0o755); // deploy must traverse it (file:// repos kept here)
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
    const keyPath = path.join(baseDir, 'id_ed25519');
    const knownHostsPath = path.join(baseDir, 'known_hosts');
    await Promise.all([
      configureBridge(layout),
      createHostLinks(layout, count),
      generateKey(keyPath, 'pmx-test-client'),
    ]);
    const authorizedKey = `${await publicKey(`${keyPath}.pub`)} pmx-test-client\n`;
    const pathDirs = [path.dirname(process.execPath), ...(opts.extraPath ?? [])];
    const hosts: TestHost[] = [];
    for (let i = 1; i <= count; i++) {
      const internals: NetnsHostInternals = {
        kind: 'netns',
        netns: netnsName(layout.index, i),
        dir: path.join(baseDir, `h${i}`),
        anchorPid: 0,
        sshdPid: null,
      };
      const address = hostAddress(layout.index, i);
      hosts.push({ name: `h${i}`, address, port: 22, user: DEPLOY_USER, keyPath, knownHostsPath, internals });
    }
    await Promise.all(
      hosts.map(async (h) => {
        const spec = { dir: netns(h).dir, hostName: h.name, address: h.address, user, authorizedKey, pathDirs };
        await mkdir(spec.dir, { mode: 0o755 });
        await prepareHostDir(spec, baseDir);
      }),
    );
    const known = await Promise.all(
      hosts.map(async (h) => ({
        address: h.address,
        port: h.port,
        hostKey: await publicKey(path.join(netns(h).dir, 'ssh_host_ed25519_key.pub')),
      })),
    );
    await writeKnownHosts(knownHostsPath, known);
    await Promise.all(
      hosts.map(async (h, n) => {
        netns(h).anchorPid = await startAnchor(h, layout.baseDir, user.home, insideNetworkScript(layout, n + 1));
        await startNetnsSshd(h);
      }),
    );
    await Promise.all(hosts.map(proveLogin));
    const handle: HostsHandle = {
      name,
      backend: 'netns',
      hosts,
      keyPath,
      knownHostsPath,
      baseDir,
      subnet: layout.subnet,
      bridge: layout.bridge,
      startMs: Math.round(performance.now() - t0),
    };
    owned.set(handle, { index: layout.index, ifindex: layout.ifindex });
    return handle;
  } catch (e) {
    await teardownIndex(layout.index, name).catch(() => undefined);
    throw e;
  }
}

/** Stop namespace hosts: every process in each namespace by pid, then links, namespaces, bridge, files. */
export async function stopNetnsHosts(handle: HostsHandle): Promise<void> {
  const own = owned.get(handle);
  if (!own) return; // stopped already, or superseded by a later start of the same name
  // the index may belong to another instance by now if ours was removed meanwhile: check it is ours
  if ((await bridgeIfindex(`pmxb${own.index}`)) === own.ifindex) await teardownIndex(own.index, handle.name);
  owned.delete(handle);
}

/** The namespace internals of a host (throws for another backend). */
export function netns(host: TestHost): NetnsHostInternals {
  if (host.internals.kind !== 'netns') throw new Error(`${host.name} is not a namespace host`);
  return host.internals;
}

/**
 * Start the process that holds host's namespaces: inside its netns, unshare mount + UTS, set the
 * network up, bind home/srv/tmp (the base dir bound back inside the private /tmp), then sleep.
 */
async function startAnchor(host: TestHost, baseDir: string, home: string, network: string): Promise<number> {
  const { dir, netns: ns } = netns(host);
  const script = `set -e
${network}
hostname "$1"
mount --bind "$2/home" "$3"
mount --bind "$2/srv" /srv
mount --bind "$4" "$2/tmp/$5"
mount --rbind "$2/tmp" /tmp
echo ready
exec sleep infinity </dev/null >/dev/null 2>&1`;
  const log = path.join(dir, 'anchor.log');
  const fd = openSync(log, 'a');
  const args = [
    ...['ip', 'netns', 'exec', ns, 'unshare', '--mount', '--uts', '--propagation', 'private'],
    ...['/bin/sh', '-c', script, 'sh', host.name, dir, home, baseDir, path.basename(baseDir)],
  ];
  const { child, pid } = spawnDetached('setsid', args, ['ignore', 'pipe', fd]);
  closeSync(fd);
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    const timer = setTimeout(() => done(false), 10_000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) done(true);
    });
    child.stdout!.once('close', () => done(out.includes('ready')));
  });
  child.stdout!.destroy();
  if (!ready || pid === undefined) {
    if (pid !== undefined) signalPid(pid, 'SIGKILL');
    throw new Error(`host ${host.name}: namespace setup failed or hung:\n${tail(log)}`);
  }
  return pid;
}

/** Start host's sshd (absolute path, -D, new session) inside the anchor's namespaces and wait for port 22. */
export async function startNetnsSshd(host: TestHost): Promise<void> {
  const inner = netns(host);
  if (inner.sshdPid !== null && isAlive(inner.sshdPid)) return;
  await rm(path.join(inner.dir, 'sshd.pid'), { force: true });
  const fd = openSync(path.join(inner.dir, 'sshd-stdio.log'), 'a');
  const enter = ['nsenter', '-t', String(inner.anchorPid), '-n', '-m', '-u', '--'];
  const cfg = path.join(inner.dir, 'sshd_config');
  const sshd = [SSHD, '-D', '-f', cfg, '-E', path.join(inner.dir, 'sshd.log')];
  const { pid } = spawnDetached('setsid', [...enter, ...sshd], ['ignore', fd, fd]);
  closeSync(fd);
  if (pid === undefined) throw new Error(`host ${host.name}: cannot spawn sshd`);
  inner.sshdPid = pid;
  try {
    await waitForPort(host.address, 22, 10_000, () => isAlive(pid));
  } catch (e) {
    const log = tail(path.join(inner.dir, 'sshd.log'));
    throw new Error(`host ${host.name}: sshd not listening: ${(e as Error).message}\n${log}`);
  }
}

/** Stop host's listening sshd (and, with sessions, its open SSH sessions too); apps on the host keep running. */
export async function stopNetnsSshd(host: TestHost, sessions = false): Promise<void> {
  const inner = netns(host);
  const pid = inner.sshdPid;
  inner.sshdPid = null;
  if (pid !== null) {
    signalPid(pid, 'SIGTERM');
    if (!(await waitPidGone(pid, 3000))) {
      signalPid(pid, 'SIGKILL');
      await waitPidGone(pid, 3000);
    }
  }
  if (!sessions) return;
  for (const p of await netnsPids(inner.netns)) {
    if (exeOf(p) === SSHD) signalPid(p, 'SIGKILL');
  }
}

function exeOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`); // session children rename their cmdline, not their exe
  } catch {
    return null;
  }
}

async function proveLogin(host: TestHost): Promise<void> {
  const r = await sshExec(host, 'true');
  if (r.code !== 0) {
    const log = tail(path.join(netns(host).dir, 'sshd.log'));
    throw new Error(`ssh to ${host.name} (${host.address}) failed: ${r.stderr.trim()}\n${log}`);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
