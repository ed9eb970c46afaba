// pmx-runtime --health-port: /livez and /readyz for Kubernetes' probes, answered from the agent's
// state: 503 until every app is online and its probe passed, 503 naming an app whose probe fails
// or that is stopped, and the flags checked before anything starts.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { FIXTURES, PmxSandbox, ROOT, alive, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const RUNTIME = join(ROOT, 'bin/pmx-runtime.js');
const pmx = new PmxSandbox('pmx-runtime-probes-');
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => pmx.cleanup());

function runtime(args: string[]) {
  const child = spawn(process.execPath, [RUNTIME, ...args], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** The answer of /readyz once it is `status` (the agent's state changes on its own clock). */
function readyz(port: number, status: number, body: (text: string) => boolean = () => true) {
  return eventually(`/readyz to answer ${status}`, async () => {
    const answer = await get(port, '/readyz');
    return answer.status === status && body(answer.body) ? answer : null;
  });
}

describe('pmx-runtime --health-port', () => {
  it('serves /livez, and /readyz once every app is online and healthy, naming the apps that are not', async () => {
    const [port, appPort, healthPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const healthFile = join(pmx.dir, 'api-healthy');
    rmSync(healthFile, { force: true });
    const file = join(pmx.dir, 'probes.config.js');
    const api = {
      name: 'api',
      script: join(apps, 'health.js'),
      env: { PORT: String(appPort), HEALTH_FILE: healthFile },
      // many failures allowed: the failing probe is observed, not cut short by a restart
      health: { http: `http://127.0.0.1:${appPort}/health`, interval: '200ms', timeout: '1s', failures: 1000 },
    };
    writeFileSync(file, `module.exports = { apps: ${JSON.stringify([api, { name: 'worker', script: join(apps, 'forever.js') }])} };`);
    const rt = runtime([file, '--health-port', String(healthPort)]);
    await eventually('the endpoint to listen', () => rt.stderr().includes(`Health probes on http://127.0.0.1:${healthPort}/livez and /readyz (this machine only)`));

    expect(await get(healthPort, '/livez')).toEqual({ status: 200, body: 'ok\n' });
    // the probe fails while the file is missing: api is online but not ready
    const starting = await readyz(healthPort, 503, (text) => text.includes('api (id 0): online'));
    expect(starting.body).toMatch(/^not ready:\napi \(id 0\): online, health check starting\n$/);
    expect((await get(healthPort, '/nothing')).status).toBe(404);
    // a page of another name made to resolve to 127.0.0.1 (DNS rebinding) reads nothing
    expect((await get(healthPort, '/readyz', { host: `evil.example:${healthPort}` })).status).toBe(421);
    for (const host of [`localhost:${healthPort}`, `127.0.0.1:${healthPort}`, 'LOCALHOST']) expect((await get(healthPort, '/livez', { host })).status).toBe(200);

    writeFileSync(healthFile, '');
    expect((await readyz(healthPort, 200)).body).toBe('ready: 2 processes\n');

    rmSync(healthFile);
    expect((await readyz(healthPort, 503)).body).toBe('not ready:\napi (id 0): online, its last health check failed\n');
    writeFileSync(healthFile, '');
    await readyz(healthPort, 200);

    // a stopped app (a job that finished, an app stopped on purpose) does not make the pod unready
    await pmx.ok(['stop', 'worker']);
    expect((await get(healthPort, '/readyz'))).toEqual({ status: 200, body: 'ready: 1 process (1 stopped)\n' });
    await pmx.ok(['start', 'worker']);
    expect((await readyz(healthPort, 200)).body).toBe('ready: 2 processes\n');
    expect((await get(healthPort, '/livez')).status).toBe(200);

    const pids = (await pmx.jlist()).map((proc) => proc.pid);
    rt.child.kill('SIGTERM');
    expect(await rt.exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(get(healthPort, '/livez')).rejects.toThrow(/ECONNREFUSED/);
  }, 30_000);

  it('stops every app on SIGINT too', async () => {
    const healthPort = await freePort();
    const file = join(pmx.dir, 'sigint.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'solo', script: ${JSON.stringify(join(apps, 'forever.js'))} }] };`);
    const rt = runtime([file, '--health-port', String(healthPort), '--health-host', '127.0.0.1']);
    expect((await readyz(healthPort, 200)).body).toBe('ready: 1 process\n');
    const { pid } = await pmx.proc('solo');
    rt.child.kill('SIGINT');
    expect(await rt.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it.each([
    [['--health-port', 'abc'], "--health-port expects a port from 1 to 65535, got 'abc'"],
    [['--health-port', '70000'], "--health-port expects a port from 1 to 65535, got '70000'"],
    [['--health-port'], "--health-port expects a port from 1 to 65535, got ''"],
    [['--health-port', '9615', '--health-host', 'pod.example'], "--health-host expects an IP address to listen on, got 'pod.example'"],
    [['--health-host', '0.0.0.0'], '--health-host needs --health-port'],
  ])('refuses %j before starting anything', async (flags, message) => {
    const file = join(pmx.dir, 'refused.config.js');
    const launches = join(pmx.dir, 'refused-launches.log');
    writeFileSync(file, `module.exports = { apps: [{ name: 'never', script: ${JSON.stringify(join(apps, 'launches.js'))}, env: { LAUNCH_LOG: ${JSON.stringify(launches)} } }] };`);
    const rt = runtime([file, ...flags]);
    expect(await rt.exited).toBe(2);
    expect(rt.stderr()).toContain(message);
    expect(pmx.agentPid()).toBeNull();
    expect(existsSync(launches)).toBe(false);
  });

  it('exits 1 without starting an app when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const file = join(pmx.dir, 'taken.config.js');
      const launches = join(pmx.dir, 'taken-launches.log');
      writeFileSync(file, `module.exports = { apps: [{ name: 'never', script: ${JSON.stringify(join(apps, 'launches.js'))}, env: { LAUNCH_LOG: ${JSON.stringify(launches)} } }] };`);
      const rt = runtime([file, '--health-port', String(port)]);
      expect(await rt.exited).toBe(1);
      expect(rt.stderr()).toContain(`cannot serve health probes on 127.0.0.1:${port}: EADDRINUSE`);
      expect(existsSync(launches)).toBe(false);
      expect(pmx.agentPid()).toBeNull();
    } finally {
      taken.close();
    }
  });
});
