// The agent killed with SIGKILL halfway through `pmx startOrReload <file>` of several apps: the
// command said only "the agent closed the connection", and the user was left to guess which apps
// had been reloaded. It now waits for the next agent (which takes over what the dead one left) and
// says, app by app, which started since the request and which run as before; exit 1. A Ctrl-C of
// the command halfway exited 130 saying nothing, read as a reload stopped, while the agent went on
// to every app: it says so.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-agent-died-mid-start-');
afterAll(() => pmx.cleanup());

const NAMES = ['a', 'b', 'c'];

/** A file of three apps started at release v1, rewritten for v2; each process listens once its gate (of its app and release) exists. */
async function threeApps(): Promise<{ file: string; gate: (name: string, release: string) => string; before: Map<string, number> }> {
  const file = join(pmx.dir, 'apps.config.js');
  const ports = await Promise.all(NAMES.map(() => freePort()));
  // a reload goes on to the next app only once the new process listens (min_uptime is far longer)
  const gate = (name: string, release: string): string => join(pmx.dir, `gate-${name}-${release}`);
  const write = (release: string): void => {
    const list = NAMES.map((name, i) => ({ name, script: join(apps, 'slow-listen.js'), min_uptime: 60_000, env: { PORT: String(ports[i]), LISTEN_GATE: gate(name, release) } }));
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps: list })};\n`);
  };
  for (const name of NAMES) writeFileSync(gate(name, 'v1'), '');
  write('v1');
  await pmx.ok(['start', file]);
  const before = new Map((await pmx.jlist()).map((entry) => [entry.name, entry.pid]));
  write('v2');
  return { file, gate, before };
}

/** `pmx startOrReload file` started, with its stderr as it comes and its exit code. */
function startOrReload(file: string): { cli: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const cli = spawn(process.execPath, [PMX_BIN, 'startOrReload', file], { cwd: pmx.dir, env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  cli.stdout!.resume();
  return { cli, stderr: () => stderr, exited: new Promise((resolve) => cli.once('close', (code) => resolve(code))) };
}

/** Resolves once b runs a new process (a was reloaded first, by the command's request): the reload is halfway. */
async function halfway(before: Map<string, number>): Promise<void> {
  await eventually('b reloading', async () => {
    const b = await pmx.proc('b');
    return b.pid > 0 && b.pid !== before.get('b');
  }, 20_000);
}

describe('the agent killed during startOrReload of a file', () => {
  it('says which of the apps started since the request and which run as before, as the next agent runs them', async () => {
    const { file, gate, before } = await threeApps();
    writeFileSync(gate('a', 'v2'), '');
    const { stderr: err, exited } = startOrReload(file);
    await halfway(before);
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    expect(await exited).toBe(1);

    const list = await pmx.jlist();
    const now = new Map(list.map((entry) => [entry.name, entry]));
    expect(now.get('a')!.pid).not.toBe(before.get('a'));
    expect(now.get('b')!.pid).not.toBe(before.get('b'));
    expect(now.get('c')!.pid).toBe(before.get('c'));
    for (const name of NAMES) expect(alive(now.get(name)!.pid), name).toBe(true);
    for (const name of ['a', 'b']) expect(alive(before.get(name)!), name).toBe(false);

    expect(err()).toContain(`[PMX][ERROR] the agent (pid ${agent}) died before it answered startOrReload (a, b, c): what it had done stands, and the next agent took it over. Now:\n`);
    const line = (name: string, since: string): string => `  ${name} (id ${now.get(name)!.pm_id}): ${now.get(name)!.pm2_env.status}, pid ${now.get(name)!.pid}, ${since}\n`;
    expect(err()).toContain(line('a', 'started since the request'));
    expect(err()).toContain(line('b', 'started since the request'));
    expect(err()).toContain(line('c', 'as before the request'));
    expect(err()).not.toContain('the agent closed the connection');
    await pmx.ok(['kill']);
  });
});

describe('a Ctrl-C of startOrReload of a file', () => {
  it('exits 130 saying the agent carries on by itself; it reloads every app', async () => {
    const { file, gate, before } = await threeApps();
    writeFileSync(gate('a', 'v2'), '');
    const { cli, stderr, exited } = startOrReload(file);
    await halfway(before);
    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr()).toContain("[PMX][WARN] interrupted: the agent carries on with startOrReload (a, b, c) by itself; 'pmx ls' shows where it is");
    for (const name of ['b', 'c']) writeFileSync(gate(name, 'v2'), '');
    const list = await eventually('every app reloaded', async () => {
      const entries = await pmx.jlist();
      return entries.every((entry) => entry.pid > 0 && entry.pid !== before.get(entry.name) && entry.pm2_env.status === 'online') ? entries : null;
    }, 20_000);
    for (const entry of list) expect(alive(entry.pid), entry.name).toBe(true);
    await pmx.ok(['kill']);
  });
});

describe('the agent killed during a stop or a scale', () => {
  /** A 3-instance app whose processes, asked to stop, wait for a gate that is not there: the stop is held. */
  async function held(name: string): Promise<{ outLog: string; before: number[]; release: () => void }> {
    const gate = join(pmx.dir, `exit-${name}`);
    const app = { name, script: join(apps, 'slow-listen.js'), instances: 3, kill_timeout: 60_000, merge_logs: true, env: { PORT: '0', EXIT_GATE: gate, LISTEN_DELAY: '0' } };
    const file = join(pmx.dir, `${name}.config.js`);
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
    await pmx.ok(['start', file]);
    const before = (await pmx.jlist()).filter((entry) => entry.name === name).map((entry) => entry.pid);
    // the processes stopped go once their gate exists
    return { outLog: join(pmx.home, 'logs', `${name}-out.log`), before, release: () => writeFileSync(gate, '') };
  }

  /** `pmx <args>` run, its agent killed with SIGKILL once `count` of the app's processes were asked to stop: its exit code and stderr. */
  async function killedDuring(args: string[], app: { outLog: string; before: number[] }, count: number): Promise<{ code: number | null; stderr: string; agent: number }> {
    const cli = spawn(process.execPath, [PMX_BIN, ...args], { cwd: pmx.dir, env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cli.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => cli.once('close', (code) => resolve(code)));
    const stopping = (): number => app.before.filter((pid) => readFileSync(app.outLog, 'utf8').includes(`stopping ${pid}\n`)).length;
    await eventually(`${count} asked to stop`, () => stopping() >= count, 20_000);
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    return { code: await exited, stderr, agent };
  }

  /** The lines the command said for `name`'s processes match what the next agent lists. */
  async function expectToldAsListed(stderr: string, name: string): Promise<void> {
    const entries = (await pmx.jlist()).filter((entry) => entry.name === name);
    for (const entry of entries) {
      const pid = entry.pid > 0 ? `, pid ${entry.pid}, ` : '';
      expect(stderr).toContain(`  ${name} (id ${entry.pm_id}): ${entry.pm2_env.status}${pid}`);
    }
    expect(stderr).not.toContain('the agent closed the connection');
  }

  it('a stop: says the agent died before it answered, and how each instance is now', async () => {
    const app = await held('held-stop');
    const { code, stderr, agent } = await killedDuring(['stop', 'held-stop'], app, 3);
    expect(code).toBe(1);
    expect(stderr).toContain(`[PMX][ERROR] the agent (pid ${agent}) died before it answered stop held-stop: what it had done stands, and the next agent took it over. Now:\n`);
    await expectToldAsListed(stderr, 'held-stop');
    app.release();
    await pmx.ok(['delete', 'held-stop']);
  });

  it('a scale down: the same, for the instances it kept and those it was deleting', async () => {
    const app = await held('held-scale');
    const { code, stderr, agent } = await killedDuring(['scale', 'held-scale', '1'], app, 2);
    expect(code).toBe(1);
    expect(stderr).toContain(`[PMX][ERROR] the agent (pid ${agent}) died before it answered scale held-scale 1: what it had done stands, and the next agent took it over. Now:\n`);
    await expectToldAsListed(stderr, 'held-scale');
    app.release();
    await pmx.ok(['kill']);
  });
});
