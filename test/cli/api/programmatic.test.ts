// The programmatic API against a real agent: `require('pmx')` and `import pmx from 'pmx'` (as an
// installed package is found, through node_modules) give PM2's methods, with callbacks and promises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PmxSandbox, ROOT, alive, eventually } from '../../helpers/pmx.js';

const sandbox = new PmxSandbox('pmx-api-');
const project = join(sandbox.dir, 'project');
mkdirSync(join(project, 'node_modules'), { recursive: true });
symlinkSync(ROOT, join(project, 'node_modules', 'pmx'));
writeFileSync(join(project, 'app.js'), "console.log('api app up'); process.on('message', (m) => console.log('got ' + JSON.stringify(m))); setInterval(() => {}, 1000);\n");

type Api = typeof import('../../../cli/api/index.js').default;
type ApiModule = Api & { Pmx: typeof import('../../../cli/api/index.js').Pmx };
const required = createRequire(join(project, 'index.js'))('pmx') as ApiModule;
const pm2: Api = new required.Pmx({ home: sandbox.home });
const cwd = process.cwd();

/** PM2's callback style, as a promise for the test. */
const viaCallback = <T>(call: (cb: (error: Error | null, result?: T) => void) => unknown): Promise<T> =>
  new Promise((resolve, reject) => {
    call((error, result) => (error ? reject(error) : resolve(result as T)));
  });

beforeAll(() => process.chdir(project));
afterAll(async () => {
  process.chdir(cwd);
  await pm2.disconnect();
  await sandbox.cleanup();
});

describe("require('pmx')", () => {
  it('connects and starts an app with callbacks, and list gives it in jlist shape', async () => {
    await viaCallback<void>((cb) => pm2.connect(cb));
    const started = await viaCallback<unknown[]>((cb) => pm2.start({ script: 'app.js', name: 'api-app' }, cb));
    expect(started).toHaveLength(1);
    const list = await viaCallback<Awaited<ReturnType<Api['list']>>>((cb) => pm2.list(cb));
    expect(list.map((proc) => [proc.name, proc.pm2_env.status, proc.pm2_env.exec_mode])).toEqual([['api-app', 'online', 'fork_mode']]);
    expect(list[0]!.pm2_env.vizion).toBe(true);
    expect(alive(list[0]!.pid)).toBe(true);
  });

  it('stops, restarts, reloads and describes with promises', async () => {
    expect((await pm2.stop('api-app')).map((proc) => proc.pm2_env.status)).toEqual(['stopped']);
    // PM2's callbacks also read the status and restart count at the top of each process
    expect((await pm2.stop('api-app')).map((proc) => [proc.name, (proc as unknown as { status: string }).status])).toEqual([['api-app', 'stopped']]);
    expect((await pm2.restart('api-app')).map((proc) => proc.pm2_env.status)).toEqual(['online']);
    await pm2.reload('api-app');
    const [described] = await pm2.describe('api-app');
    // the reload counts; the restart of the stopped app does not, as PM2 counts
    expect(described!.pm2_env.restart_time).toBe(1);
    expect(await pm2.describe('nothing')).toEqual([]);
  });

  it('rejects (and calls back) with the error of a bad request', async () => {
    await expect(pm2.start({ script: 'missing.js' })).rejects.toThrow(/missing\.js/);
    await expect(viaCallback((cb) => pm2.stop('nothing', cb))).rejects.toThrow(/^process or namespace not found$/); // PM2's words
  });

  it('launchBus delivers log lines and process events', async () => {
    const bus = await pm2.launchBus();
    const lines: string[] = [];
    const events: string[] = [];
    bus.on('log:out', (packet: { data: string; process: { name: string } }) => lines.push(`${packet.process.name}: ${packet.data}`));
    bus.on('process:event', (packet: { event: string; process: { name: string } }) => events.push(`${packet.process.name}: ${packet.event}`));
    const packets: { event: string; process: { name: string; restart_time?: number } }[] = [];
    bus.on('process:event', (packet: { event: string; process: { name: string; restart_time?: number } }) => packets.push(packet));
    await pm2.restart('api-app');
    await eventually('a restart event and the new log line', () => events.includes('api-app: restart') && lines.includes('api-app: api app up\n'));
    // as PM2's bus: the process that ended first (what a crash notifier listens for), then the new one
    expect(events.filter((event) => event.startsWith('api-app: '))).toEqual(['api-app: exit', 'api-app: online', 'api-app: restart']);
    expect(typeof packets.at(-1)!.process.restart_time).toBe('number');
    // a process started after the bus: its first line is delivered; its delete names it
    await pm2.start({ script: 'app.js', name: 'late-comer' });
    await eventually('the late process first line', () => lines.includes('late-comer: api app up\n'));
    await pm2.delete('late-comer');
    await eventually('its delete event', () => events.includes('late-comer: delete'));
    bus.close();
  });

  it('sendDataToProcessId hands the app a process:msg over its IPC channel', async () => {
    await pm2.start({ script: 'app.js', name: 'listener', exec_mode: 'cluster', instances: 1 });
    const [proc] = await pm2.describe('listener');
    await pm2.sendDataToProcessId(proc!.pm_id, { type: 'process:msg', topic: 'greet', data: { hello: 'world' } });
    await eventually('the message in the log', () => readFileSync(String(proc!.pm2_env.pm_out_log_path), 'utf8').includes('"data":{"hello":"world"}'));
    const [fork] = await pm2.describe('api-app');
    await expect(pm2.sendDataToProcessId(fork!.pm_id, { data: 1 })).rejects.toThrow(/no IPC channel/);
  });

  it('after its agent is killed, the client and its bus carry on with the next agent', async () => {
    const bus = await pm2.launchBus();
    const events: string[] = [];
    bus.on('process:event', (packet: { event: string; process: { name: string } }) => events.push(`${packet.process.name}: ${packet.event}`));
    const agent = sandbox.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent gone', () => !alive(agent));
    // the next call starts the next agent, which takes the apps over
    expect((await pm2.list()).map((proc) => proc.name).sort()).toEqual(['api-app', 'listener']);
    expect(sandbox.agentPid()).not.toBe(agent);
    await bus.connected();
    await pm2.restart('api-app');
    await eventually('the restart told by the next agent', () => events.includes('api-app: restart'));
    bus.close();
  });

  it("new custom({ pm2_home, cwd }) talks to that home's agent and finds scripts from that folder, as PM2's does", async () => {
    const other = new required.custom({ pm2_home: join(sandbox.dir, 'other-home'), cwd: project });
    process.chdir(sandbox.dir); // scripts are found from the client's cwd, not the process's
    try {
      await other.start({ script: 'app.js', name: 'elsewhere' });
      expect((await other.list()).map((proc) => proc.name)).toEqual(['elsewhere']);
      expect((await pm2.list()).map((proc) => proc.name)).not.toContain('elsewhere');
      expect((await other.connect()).pm2_home).toBe(join(sandbox.dir, 'other-home'));
    } finally {
      process.chdir(project);
      await other.killDaemon();
    }
    expect(() => new required.custom({ pm2_home: '/x', independent: true })).toThrow(/independent/);
  });

  it('new custom({ independent: true }) runs its own agent in a home of its own; destroy() stops it, its apps, and removes that home', async () => {
    const own = new required.custom({ independent: true, cwd: project });
    const { pm2_home: home } = await own.connect();
    const [started] = await own.start({ script: 'app.js', name: 'independent' });
    const pid = started!.pid;
    expect(alive(pid)).toBe(true);
    expect((await pm2.list()).map((proc) => proc.name)).not.toContain('independent');
    await own.destroy();
    await eventually('the app of the destroyed client to end', () => !alive(pid));
    expect(existsSync(home)).toBe(false);
    // and it stays destroyed: a later call starts no agent in a home nothing would end
    await expect(own.list()).rejects.toThrow(/destroyed/);
    expect(existsSync(home)).toBe(false);
  });

  it('dumps, flushes, deletes and kills the agent', async () => {
    expect((await pm2.dump()).count).toBe(2);
    // PM2's flush answers the whole list; the app's log files are emptied
    const listed = await pm2.flush('api-app');
    const app = listed.find((proc) => proc.name === 'api-app')!;
    expect([listed.length, readFileSync(app.pm2_env.pm_out_log_path, 'utf8')]).toEqual([2, '']);
    await pm2.delete('listener');
    expect((await pm2.list()).map((proc) => proc.name)).toEqual(['api-app']);
    const agent = sandbox.agentPid()!;
    expect((await pm2.killDaemon()).stopped).toBe(1);
    expect(alive(agent)).toBe(false);
  });
});

describe("import pmx from 'pmx'", () => {
  it('gives the same API to an ES module, typed by its declarations', () => {
    const script = "import pmx from 'pmx'; const list = await pmx.list(); console.log(JSON.stringify(list.map((p) => p.name))); await pmx.killDaemon();";
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: { ...process.env, PMX_HOME: join(sandbox.dir, 'esm-home') }, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('[]');
    const types = readFileSync(join(ROOT, 'dist/cli/api/index.d.ts'), 'utf8');
    for (const method of ['connect', 'start', 'stop', 'restart', 'reload', 'delete', 'list', 'describe', 'dump', 'flush', 'launchBus', 'sendDataToProcessId', 'disconnect', 'killDaemon']) expect(types).toContain(`${method}(`);
  });
});
