// Two operations on one app at once: each of stop, restart, reload, delete, scale and a watch
// restart while each of them is under way. The app's children are held mid-launch and mid-stop by
// gate files (fixtures/apps/slow-listen.js), and every step waits for a log line, never for time:
// the first operation is seen under way, the second is seen applied, then the gates open.
// Afterwards the list tells the truth, no process runs that the list does not show, and each
// caller's answer says what happened: a later request wins, and the one it overrode is told so.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type RunResult } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';
import { appPids } from '../helpers/processes.js';

const SLOW = join(FIXTURES, 'apps', 'slow-listen.js');
const pmx = new PmxSandbox('pmx-race-');
afterAll(() => pmx.cleanup());

type Op = 'stop' | 'restart' | 'reload' | 'delete' | 'scale' | 'watch';
/** Cluster mode (a reload starts the new child beside the old one), or fork mode (one instance after the other, stopped first). */
type Mode = 'cluster' | 'fork';
type Final = 'online' | 'stopped' | 'gone';
/**
 * What a caller is told: done, overridden (the word says by what), the app not found, or for a
 * watch restart, nothing done as the app is being stopped, or nothing seen as watching has ended.
 */
type Answer = 'ok' | 'stopped' | 'restarted' | 'reloaded' | 'deleted' | 'not found' | 'skipped' | 'unwatched';

interface App {
  name: string;
  mode: Mode;
  listenGate: string;
  exitGate: string;
  watched: string;
  outLog: string;
  /** Pids of instances 0 and 1 once both listen. */
  initial: number[];
}

/** Bounds every wait on a log line or a status: only a failure takes this long (the machine may be loaded). */
const WAIT_MS = 30_000;
const AGENT_LOG = (): string => join(pmx.home, 'agent.log');
const agentLog = (): string => readFileSync(AGENT_LOG(), 'utf8');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const openGate = (file: string): void => writeFileSync(file, '');

/** Starts a 2-instance app of the slow fixture; its gates closed as asked once both instances listen. */
async function startApp(name: string, gates: { listen: boolean; exit: boolean }, mode: Mode = 'cluster'): Promise<App> {
  const dir = join(pmx.dir, name);
  const app: App = { name, mode, listenGate: join(dir, 'listen'), exitGate: join(dir, 'exit'), watched: join(dir, 'src'), outLog: join(pmx.home, 'logs', `${name}-out.log`), initial: [] };
  mkdirSync(app.watched, { recursive: true });
  openGate(app.listenGate);
  openGate(app.exitGate);
  // fork-mode instances cannot share a port: each takes one of its own (port 0)
  const env = { PORT: mode === 'cluster' ? String(await freePort()) : '0', LISTEN_GATE: app.listenGate, EXIT_GATE: app.exitGate };
  await pmx.ok(['start', SLOW, '-i', '2', '--exec-mode', mode, '-n', name, '--merge-logs', '--kill-timeout', '60000', '--listen-timeout', '60000', '--watch', app.watched, '--watch-delay', '50ms'], { env });
  const pids = (await pmx.jlist()).filter((entry) => entry.name === name).map((entry) => entry.pid);
  // a reload's new child counts as ready once it listens, as the child it replaces did
  await eventually('both instances listening', () => pids.every((pid) => outLines(app).includes(`listening ${pid}`)), WAIT_MS);
  if (!gates.listen) rmSync(app.listenGate);
  if (!gates.exit) rmSync(app.exitGate);
  return { ...app, initial: pids };
}

function outLines(app: App): string[] {
  try {
    return readFileSync(app.outLog, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/** Resolves once the app has logged `<word> <pid>` for each pid. */
function logged(app: App, word: string, pids: number[]): Promise<unknown> {
  return eventually(`${word} ${pids.join(', ')}`, () => pids.every((pid) => outLines(app).includes(`${word} ${pid}`)), WAIT_MS);
}

/** Resolves once a child that was not there at start has begun booting. */
function newChildBooting(app: App): Promise<unknown> {
  return eventually('a new child booting', () => outLines(app).some((line) => /^booting \d+$/.test(line) && !app.initial.includes(Number(line.split(' ')[1]))), WAIT_MS);
}

/** Resolves with the first match of `pattern` in the agent log after `offset` bytes. */
function agentLogged(offset: number, pattern: RegExp): Promise<string> {
  return eventually(`agent log: ${pattern}`, () => pattern.exec(agentLog().slice(offset))?.[0], WAIT_MS);
}

/** Starts `op` on the app; the CLI's result, or null for a watch restart (it has no caller). */
function begin(op: Op, app: App): Promise<RunResult | null> {
  if (op === 'watch') {
    // one change, seen once: written beside the watched directory and renamed into it (a file
    // created and then written in place is two events, and on a loaded machine they can come more
    // than watch_delay apart: two watch restarts, where the race wants one)
    const staged = join(app.watched, '..', 'change.js.tmp');
    writeFileSync(staged, `// ${Date.now()}\n`);
    renameSync(staged, join(app.watched, 'change.js'));
    return Promise.resolve(null);
  }
  return pmx.run(op === 'scale' ? ['scale', app.name, '1'] : [op, app.name], { timeoutMs: 60_000 });
}

/** Resolves once `op`, begun first, is under way and held by a closed gate. */
function underWay(op: Op, app: App): Promise<unknown> {
  switch (op) {
    case 'stop':
    case 'restart':
    case 'delete':
      return logged(app, 'stopping', app.initial);
    case 'scale':
      // PM2 scales down by removing the oldest process: instance 0
      return logged(app, 'stopping', [app.initial[0]!]);
    case 'reload':
      // fork mode: instance 0's old child stops before its new one starts
      return app.mode === 'cluster' ? newChildBooting(app) : logged(app, 'stopping', [app.initial[0]!]);
    case 'watch':
      // fork mode: a watch restarts the instances (a cluster app's reload is one after the other)
      return app.mode === 'cluster' ? newChildBooting(app) : logged(app, 'stopping', app.initial);
  }
}

/** The word the agent logs for a watch restart of the app: a cluster app is reloaded, a fork one restarted. */
const watchVerb = (app: App): string => (app.mode === 'cluster' ? 'reload' : 'restart');

/** What the agent logs once `op`, begun second, has been applied to the app. */
function applied(op: Op, app: App): RegExp {
  const name = app.name;
  const proc = `${escape(name)} \\(id \\d+\\)`;
  switch (op) {
    case 'stop':
    case 'restart':
    case 'reload':
    case 'delete':
      return new RegExp(`${proc}: ${op} requested`);
    case 'scale':
      return new RegExp(`${proc}: delete requested|scale ${escape(name)} 1: waiting`);
    case 'watch':
      return new RegExp(`${proc}: ${watchVerb(app)} requested|watch: ${escape(name)} is being stopped`);
  }
}

/** Resolves with the lines in which the agent said how the app's watch restarts since `offset` ended, once there are `count`. */
function watchOutcomes(offset: number, app: App, count: number): Promise<string[]> {
  const pattern = new RegExp(`watch: ${escape(app.name)}( ${watchVerb(app)}ed|: .*)`, 'g');
  return eventually(`${count} watch outcomes`, () => {
    const lines = agentLog().slice(offset).match(pattern) ?? [];
    return lines.length === count ? lines : null;
  }, WAIT_MS);
}

/** Checks a caller's answer: its exit code and words, or for a watch restart what the agent logged. */
function expectAnswer(op: Op, result: RunResult | null, answer: Answer, app: App, watched: string[]): void {
  const name = app.name;
  if (op === 'watch') {
    if (answer === 'skipped') return void expect(agentLog()).toContain(`watch: ${name} is being stopped`);
    if (answer === 'unwatched') return void expect(agentLog()).not.toMatch(new RegExp(`watch: change detected on .* for app ${escape(name)} `));
    return void expect(watched.some((line) => (answer === 'ok' ? new RegExp(` ${watchVerb(app)}ed$`) : new RegExp(`did not complete: .*was ${answer} by`)).test(line)), watched.join('\n')).toBe(true);
  }
  const output = `${result!.stdout}${result!.stderr}`;
  if (answer === 'ok') return void expect(result!.code, output).toBe(0);
  expect(result!.code, output).toBe(1);
  expect(result!.stderr).toMatch(answer === 'not found' ? /no process named/ : new RegExp(`did not complete: .*${escape(name)} \\(id \\d+\\) was ${answer} by (a later|another) request`));
}

/** The list tells the truth: settled statuses, a live pid for each online instance, and no other process of the app. */
async function expectTruth(name: string, final: [Final, Final]): Promise<void> {
  const entries = (await pmx.jlist()).filter((entry) => entry.name === name);
  const byInstance = (instance: number) => entries.find((entry) => entry.pm2_env.NODE_APP_INSTANCE === instance)?.pm2_env.status ?? 'gone';
  expect([byInstance(0), byInstance(1)]).toEqual(final);
  expect(entries).toHaveLength(final.filter((status) => status !== 'gone').length);
  for (const entry of entries) {
    if (entry.pm2_env.status === 'online') expect(alive(entry.pid), `pid ${entry.pid} of ${name} (id ${entry.pm_id})`).toBe(true);
    else expect(entry.pid).toBe(0);
  }
  const listed = entries.filter((entry) => entry.pm2_env.status === 'online').map((entry) => entry.pid).sort((a, b) => a - b);
  expect(appPids(pmx.home, name)).toEqual(listed);
}

interface Race {
  first: Op;
  second: Op;
  final: [Final, Final];
  /** The answers the first and the second caller get. */
  answers: [Answer, Answer];
  /** Hold the first operation after the swap of a reload, while the old child retires. */
  retiring?: boolean;
  mode?: Mode;
}

/** Runs `first`, and `second` once `first` is under way; opens the gates once `second` is applied; checks the outcome. */
async function race({ first, second, final, answers, retiring, mode = 'cluster' }: Race): Promise<void> {
  const name = `${mode === 'fork' ? 'fork-' : ''}${first}-${second}${retiring ? '-retiring' : ''}`;
  const app = await startApp(name, { listen: Boolean(retiring), exit: false }, mode);
  try {
    const firstFrom = agentLog().length;
    const a = begin(first, app);
    if (retiring) await logged(app, 'stopping', [app.initial[0]!]);
    else await underWay(first, app);
    const secondFrom = agentLog().length;
    const b = begin(second, app);
    // a stop ends watching, as PM2's does: the change comes after the watch has ended
    if (answers[1] === 'unwatched') await agentLogged(firstFrom, new RegExp(`watch: stopped watching ${escape(name)}\\n`));
    else await agentLogged(secondFrom, applied(second, app));
    openGate(app.listenGate);
    openGate(app.exitGate);
    const [ra, rb] = await Promise.all([a, b]);
    // a watch restart has no caller to wait for: the agent logs how each one ended
    const watches = [first, second].filter((op, i) => op === 'watch' && answers[i] !== 'skipped' && answers[i] !== 'unwatched').length;
    const watched = watches > 0 ? await watchOutcomes(firstFrom, app, watches) : [];
    try {
      expectAnswer(first, ra, answers[0], app, watched);
      expectAnswer(second, rb, answers[1], app, watched);
      await expectTruth(name, final);
    } catch (error) {
      // what the agent did with this app, for a failure seen only on a loaded machine
      const said = agentLog().slice(firstFrom).split('\n').filter((line) => line.includes(name)).slice(-40).join('\n');
      if (error instanceof Error) error.message += `\n--- agent log for ${name} since the first operation:\n${said}\n--- app output:\n${outLines(app).slice(-30).join('\n')}`;
      throw error;
    }
  } finally {
    openGate(app.listenGate);
    openGate(app.exitGate);
    await pmx.run(['delete', name]);
  }
}

const O = 'online';
const S = 'stopped';
const G = 'gone';

// [first, second, instance 0 and 1 afterwards, what the first and second callers are told]
const RACES: [Op, Op, [Final, Final], [Answer, Answer]][] = [
  ['stop', 'stop', [S, S], ['ok', 'ok']],
  ['stop', 'restart', [O, O], ['restarted', 'ok']],
  ['stop', 'reload', [O, O], ['reloaded', 'ok']],
  ['stop', 'delete', [G, G], ['deleted', 'ok']],
  ['stop', 'scale', [G, S], ['deleted', 'ok']],
  ['stop', 'watch', [S, S], ['ok', 'unwatched']],
  ['restart', 'stop', [S, S], ['stopped', 'ok']],
  ['restart', 'restart', [O, O], ['ok', 'ok']],
  ['restart', 'reload', [O, O], ['ok', 'ok']],
  ['restart', 'delete', [G, G], ['deleted', 'ok']],
  ['restart', 'scale', [G, O], ['deleted', 'ok']],
  ['restart', 'watch', [O, O], ['ok', 'skipped']],
  ['reload', 'stop', [S, S], ['stopped', 'ok']],
  ['reload', 'restart', [O, O], ['ok', 'ok']],
  ['reload', 'reload', [O, O], ['ok', 'ok']],
  ['reload', 'delete', [G, G], ['deleted', 'ok']],
  ['reload', 'scale', [G, O], ['deleted', 'ok']],
  ['reload', 'watch', [O, O], ['ok', 'ok']],
  ['delete', 'stop', [G, G], ['ok', 'deleted']],
  ['delete', 'restart', [G, G], ['ok', 'deleted']],
  ['delete', 'reload', [G, G], ['ok', 'deleted']],
  ['delete', 'delete', [G, G], ['ok', 'ok']],
  ['delete', 'scale', [G, G], ['ok', 'not found']],
  ['delete', 'watch', [G, G], ['ok', 'skipped']],
  ['scale', 'stop', [G, S], ['ok', 'deleted']],
  ['scale', 'restart', [G, O], ['ok', 'deleted']],
  ['scale', 'reload', [G, O], ['ok', 'deleted']],
  ['scale', 'delete', [G, G], ['ok', 'ok']],
  ['scale', 'scale', [G, O], ['ok', 'ok']],
  // the instance the scale keeps takes the change; the one it deletes is left to the delete
  ['scale', 'watch', [G, O], ['ok', 'ok']],
  ['watch', 'stop', [S, S], ['stopped', 'ok']],
  ['watch', 'restart', [O, O], ['ok', 'ok']],
  ['watch', 'reload', [O, O], ['ok', 'ok']],
  ['watch', 'delete', [G, G], ['deleted', 'ok']],
  ['watch', 'scale', [G, O], ['deleted', 'ok']],
  ['watch', 'watch', [O, O], ['ok', 'ok']],
];

const words = (answer: Answer): string =>
  answer === 'ok' ? 'done' : answer === 'skipped' ? 'left to it' : answer === 'unwatched' ? 'not seen: the stop ended watching' : answer === 'not found' ? 'not found' : `told it was ${answer}`;

// Each race has its own app, gates and log lines (every wait matches the app's name), and spends
// its time waiting on children, so the races run side by side (maxConcurrency at a time).
describe.concurrent('two operations racing on one app (2 cluster instances)', () => {
  for (const [first, second, final, answers] of RACES) {
    it(`${first} under way, then ${second}: ${final.join(' and ')}; the ${first} ${words(answers[0])}, the ${second} ${words(answers[1])}`, () =>
      race({ first, second, final, answers }), 90_000);
  }
});

// The same races on a fork-mode app: its reload stops each instance before it starts the new one,
// which is then on trial until it listens (process/proof.ts), one instance after the other.
// A fork-mode watch restart stops both instances: a second change meanwhile is left to it (a
// cluster app's watch reload keeps them online, and the second change reloads them again).
const FORK_ANSWERS: Record<string, [Answer, Answer]> = { 'watch-watch': ['ok', 'skipped'] };

describe.concurrent('two operations racing on one app (2 fork-mode instances)', () => {
  for (const [first, second, final, clusterAnswers] of RACES) {
    const answers = FORK_ANSWERS[`${first}-${second}`] ?? clusterAnswers;
    it(`${first} under way, then ${second}: ${final.join(' and ')}; the ${first} ${words(answers[0])}, the ${second} ${words(answers[1])}`, () =>
      race({ first, second, final, answers, mode: 'fork' }), 90_000);
  }
});

describe.concurrent('requests racing a reload whose old child is retiring (after the swap)', () => {
  const cases: [Op, [Final, Final], [Answer, Answer]][] = [
    ['stop', [S, S], ['stopped', 'ok']],
    ['restart', [O, O], ['ok', 'ok']],
    ['reload', [O, O], ['ok', 'ok']],
    ['delete', [G, G], ['deleted', 'ok']],
  ];
  for (const [second, final, answers] of cases) {
    it(`${second} while the replaced child drains and stops: ${final.join(' and ')}, and no child is left behind`, () =>
      race({ first: 'reload', second, final, answers, retiring: true }), 90_000);
  }
});

describe('a socket-activated app (fork mode, the port opened by the agent)', () => {
  it('stop while a replacement proves itself stops it with the serving child, and tells the reload', async () => {
    const name = 'activated-reload-stop';
    const port = await freePort();
    // a replacement without an IPC channel is ready once it stayed up min_uptime: here, never in time
    await pmx.ok(['start', SLOW, '-i', '2', '-n', name, '--merge-logs', '--listen', `127.0.0.1:${port}`, '--min-uptime', '60000', '--listen-timeout', '60000']);
    const app: App = { name, listenGate: '', exitGate: '', watched: '', outLog: join(pmx.home, 'logs', `${name}-out.log`), initial: [] };
    app.initial = (await pmx.jlist()).filter((entry) => entry.name === name).map((entry) => entry.pid);
    const reload = begin('reload', app);
    await newChildBooting(app);
    const stop = await pmx.run(['stop', name]);
    expect(stop.code, stop.stderr).toBe(0);
    const answer = (await reload)!;
    expect(answer.code).toBe(1);
    expect(answer.stderr).toMatch(new RegExp(`${name} \\(id \\d+\\) was stopped by a later request`));
    await expectTruth(name, ['stopped', 'stopped']);
    await pmx.ok(['delete', name]);
  });
});

describe('a start overridden', () => {
  it('start of an app deleted before it listens exits 1 naming the delete, and nothing of it runs', async () => {
    const listenGate = join(pmx.dir, 'never-listens');
    const starting = pmx.run(['start', SLOW, '-n', 'overridden-start', '-i', '2', '--listen-timeout', String(WAIT_MS)], { env: { PORT: String(await freePort()), LISTEN_GATE: listenGate } });
    await eventually('both workers booting', () => (readFileSync(join(pmx.home, 'logs', 'overridden-start-out-0.log'), 'utf8') + readFileSync(join(pmx.home, 'logs', 'overridden-start-out-1.log'), 'utf8')).split('booting').length === 3, WAIT_MS);
    await pmx.ok(['delete', 'overridden-start']);
    const answer = await starting;
    expect(answer.code, answer.stdout).toBe(1);
    expect(answer.stderr).toMatch(/start did not complete: overridden-start \(id \d+\) was deleted by another request/);
    expect((await pmx.jlist()).filter((entry) => entry.name === 'overridden-start')).toEqual([]);
    expect(appPids(pmx.home, 'overridden-start')).toEqual([]);
  });

  it('start of a file whose new app is deleted before it listens says the start did not complete, not a restart', async () => {
    const listenGate = join(pmx.dir, 'never-listens');
    const file = join(pmx.dir, 'overridden-file.config.js');
    const app = { name: 'overridden-file', script: SLOW, exec_mode: 'cluster', instances: 1, listen_timeout: WAIT_MS, merge_logs: true, env: { PORT: String(await freePort()), LISTEN_GATE: listenGate } };
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
    const starting = pmx.run(['start', file]);
    await eventually('its worker booting', () => readFileSync(join(pmx.home, 'logs', 'overridden-file-out.log'), 'utf8').includes('booting'), WAIT_MS);
    await pmx.ok(['delete', 'overridden-file']);
    const answer = await starting;
    expect(answer.code, answer.stdout).toBe(1);
    expect(answer.stderr).toMatch(/\[ERROR\] start did not complete: overridden-file \(id \d+\) was deleted by another request/);
  });
});

describe('a reload of a file overridden', () => {
  it('a stop during reload <file> wins on every instance, turn come or not, and none comes back', async () => {
    const file = join(pmx.dir, 'reloading.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'reloading', script: ${JSON.stringify(SLOW)}, instances: 3, exec_mode: 'cluster', listen_timeout: ${WAIT_MS}, env: { PORT: '${await freePort()}', LISTEN_DELAY: '1500' } }] };\n`);
    await pmx.ok(['start', file]);
    // every instance serving before the reload (a loaded machine can answer the start sooner)
    await eventually('three instances listening', async () => {
      const list = (await pmx.jlist()).filter((entry) => entry.name === 'reloading');
      return list.length === 3 && list.every((entry) => readFileSync(entry.pm2_env.pm_out_log_path, 'utf8').includes(`listening ${entry.pid}`));
    }, WAIT_MS);
    const from = agentLog().length;
    const reloading = pmx.run(['reload', file]);
    await agentLogged(from, /reloading \(id \d+\): reload requested/);
    const stopped = await pmx.run(['stop', 'reloading']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const reload = await reloading;
    expect(reload.code, `${reload.stdout}\n${reload.stderr}\n${agentLog().slice(from)}`).toBe(1);
    expect(reload.stderr).toMatch(/reload did not complete: .*was stopped by a later request/);
    expect((await pmx.jlist()).filter((entry) => entry.name === 'reloading').map((entry) => entry.pm2_env.status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(appPids(pmx.home, 'reloading')).toEqual([]);
    await pmx.ok(['delete', 'reloading']);
  });
});

describe('the agent stopped while an operation is under way', () => {
  it('pmx kill while a replacement boots stops the serving child and the replacement, and tells the reload', async () => {
    const app = await startApp('kill-during-reload', { listen: false, exit: true });
    const reload = begin('reload', app);
    await underWay('reload', app);
    const kill = await pmx.run(['kill']);
    expect(kill.code, kill.stderr).toBe(0);
    const answer = (await reload)!;
    expect(answer.code).toBe(1);
    expect(answer.stderr).toMatch(/kill-during-reload \(id \d+\) was stopped by a later request/);
    expect(appPids(pmx.home, app.name)).toEqual([]);
  });

  it('pmx kill while a delete waits for its children waits for them too, and leaves no process', async () => {
    const app = await startApp('kill-during-delete', { listen: true, exit: false });
    const deleting = begin('delete', app);
    await underWay('delete', app);
    const from = agentLog().length;
    const kill = pmx.run(['kill']);
    await agentLogged(from, /stopping every process/);
    openGate(app.exitGate);
    expect((await kill).code).toBe(0);
    // the delete is answered before the agent exits (the list the CLI asks for after it then fails)
    const deleted = (await deleting)!.stdout;
    expect(deleted.match(/deleted kill-during-delete \(id \d+\)/g)).toHaveLength(2);
    expect(appPids(pmx.home, app.name)).toEqual([]);
  });
});
