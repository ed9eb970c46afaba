// A deploy path on a full disk (a 4 MiB tmpfs on one of 2 real SSH hosts): the deploy fails on that
// host before publish, naming it, no host publishes, the fleet stays on the release it served, no
// partial release or lock is left; the summary says the host's ledger could not be written; once
// space is freed, the next deploy goes through on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../cli/deploy/events.js';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, setUpAndDeploy, deployCli, environment, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const PATH = '/srv/small';

const currentOf = async (host: TestHost): Promise<string> => (await execOnHost(host, `readlink ${PATH}/current`)).stdout.trim().replace('releases/', '');
const stateOf = async (host: TestHost): Promise<string> => (await execOnHost(host, `ls -A ${PATH}/releases ${PATH}/.pmx; test -e ${PATH}/.pmx/lock.json && echo LOCK-OWNER`)).stdout;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 2, name: 'full-disk' });
  hosts = env.hosts;
  const small = hosts[1]!;
  const mounted = await execOnHost(small, `mkdir -p ${PATH} && mount -t tmpfs -o size=4m,mode=755 tmpfs ${PATH} && chown deploy:deploy ${PATH}`);
  expect(mounted.code, mounted.stderr).toBe(0);
  await execOnHost(hosts[0]!, `mkdir -p ${PATH} && chown deploy:deploy ${PATH}`);
  app = createAppRepo(env, (origin) => ({ small: environment(env, hosts, origin, { strategy: 'release', path: PATH, 'post-deploy': 'true' }) }));
  await setUpAndDeploy(app.file, 'small', 2);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe('a host whose deploy path is on a full disk', () => {
  it('fails that host before publish naming it; no host publishes; nothing partial is left; after space is freed the next deploy works', async () => {
    const h2 = hosts[1]!;
    const served = await Promise.all(hosts.map(currentOf));
    const before = await Promise.all(hosts.map(stateOf));
    app.commit('v2', { 'big.bin': 'x'.repeat(64 * 1024) });
    await execOnHost(h2, `cat /dev/zero > ${PATH}/shared/fill 2>/dev/null; df -k ${PATH}`);
    const run = await deployCli(['small'], { json: true }, app.dir);
    const document = JSON.parse(run.stdout) as { ok: boolean; hosts: HostOutcome[] };
    expect(run.code).toBe(1);
    expect(document.ok).toBe(false);
    const [o1, o2] = document.hosts as [HostOutcome, HostOutcome];
    expect(o2.host).toBe(h2.address);
    expect(o2.status).toBe('failed');
    expect(o2.message).toContain(h2.address);
    expect(o2.message).toContain('No space left on device');
    // the failed archive was removed: the host's ledger has room for the line that says so
    expect(o2.recorded).toBe(true);
    const ledger = JSON.parse((await execOnHost(h2, `tail -n 1 ${PATH}/.pmx/revisions.log`)).stdout) as { result: string; message: string };
    expect([ledger.result, ledger.message]).toEqual(['failed', expect.stringContaining('No space left on device')]);
    expect(o1.status).not.toBe('deployed');
    expect([o1.release, o2.release]).toEqual(served);
    expect(await Promise.all(hosts.map(currentOf))).toEqual(served);
    expect(await Promise.all(hosts.map(stateOf))).toEqual(before.map((state, index) => (index === 0 ? expect.any(String) : state)));
    await execOnHost(h2, `rm -f ${PATH}/shared/fill`);
    const again = await deployCli(['small'], { json: true }, app.dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const fresh = await Promise.all(hosts.map(currentOf));
    expect(fresh[0]).toBe(fresh[1]);
    expect(fresh[0]).not.toBe(served[0]);
  }, 90_000);
});
