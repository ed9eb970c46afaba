// Differential: what the programmatic API's callbacks are handed, by shape, on PM2 and pmx through
// the same script: a start that fails in part (PM2's list of errors), a start of a registered name,
// id, namespace or 'all', the short form stop, restart and delete answer, and the results of flush,
// reloadLogs and resurrect. The script reads each callback's arguments as a program would: is the
// error a list, its messages, the result's type and keys; pids, times and folders are left out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { Differential } from './harness.js';
import { installPm2 } from './pm2-install.js';
import { ROOT } from '../helpers/pmx.js';

const SCRIPT = `
const api = require(process.argv[2]);
const dumpFile = process.argv[3];
const fs = require('fs');
const out = {};
const here = (text) => String(text).split(process.cwd()).join('<WORK>');
// what a program reads of an error: one Error or a list of them, and the messages
const error = (e) => (e === null || e === undefined ? null : Array.isArray(e) ? { list: e.map((one) => [one instanceof Error, here(one.message)]) } : { one: [e instanceof Error, here(e.message)] });
// what it reads of a result: a Buffer, a list of items (their keys, and pm2_env's when it is short), or an object's keys
const items = (list) => list.map((item) => ({ keys: Object.keys(item).filter((key) => ['name', 'namespace', 'pm_id', 'status', 'restart_time', 'pm2_env', 'pid', 'process'].includes(key)).sort(), name: item.name || (item.pm2_env && item.pm2_env.name) }));
const result = (r) => (r === undefined || r === null ? String(r) : Buffer.isBuffer(r) ? 'Buffer' : Array.isArray(r) ? items(r) : Object.keys(r).sort());
// what it reads of a started process (PM2's is its ChildProcess, pmx's its jlist entry): the pids and the name
const started = (r) => (Array.isArray(r) ? r.map((proc) => [typeof proc.pid, typeof proc.process.pid, proc.pm2_env.name, proc.pm2_env.status]) : String(r));
const call = (fn) => new Promise((resolve) => fn((e, r) => resolve({ e, r })));
const both = async (fn) => { const { e, r } = await call(fn); return { error: error(e), result: result(r) }; };
const short = (list) => !Array.isArray(list) ? String(list) : list.map((proc) => [proc.name, proc.namespace, proc.status, proc.restart_time, Object.keys(proc).sort(), Object.keys(proc.pm2_env).sort()]);
(async () => {
  await call((cb) => api.connect(cb));
  // a list of apps, one of whose scripts is not there: the others start, and the callback gets a list of errors
  const listMissing = await call((cb) => api.start([{ script: 'hold.js', name: 'ok1' }, { script: 'gone.js', name: 'g1' }, { script: 'gone2.js' }], cb));
  out.startListMissing = [error(listMissing.e), started(listMissing.r)];
  out.afterListMissing = (await call((cb) => api.list(cb))).r.map((proc) => proc.name + ':' + proc.pm2_env.status).sort();
  const objectMissing = await call((cb) => api.start({ script: 'gone.js', name: 'g2' }, cb));
  out.startObjectMissing = [error(objectMissing.e), started(objectMissing.r)];
  // a file one of whose scripts is missing, as a list; a file that is not there: the file system's ENOENT
  fs.writeFileSync('eco.config.js', "module.exports = { apps: [{ name: 'f1', script: 'hold.js' }, { name: 'f2', script: 'gone.js' }] };");
  const fileMissing = await call((cb) => api.start(process.cwd() + '/eco.config.js', cb));
  out.startFileScriptMissing = [error(fileMissing.e), started(fileMissing.r)];
  const noFile = await call((cb) => api.start(process.cwd() + '/missing.config.js', cb));
  out.startFileMissing = [error(noFile.e), noFile.e && noFile.e.code];
  await call((cb) => api.delete('f1', cb));
  // the script form: one Error
  out.startScriptMissing = await both((cb) => api.start('gone.js', { name: 'g3' }, cb));
  // a registered name, id, namespace or 'all' restarts (PM2's short form), an unknown id fails
  await call((cb) => api.start('hold.js', { name: 'web', namespace: 'ns1' }, cb));
  await call((cb) => api.stop('web', cb));
  const byName = await call((cb) => api.start('web', cb));
  out.startByName = [error(byName.e), short(byName.r)];
  const byId = await call((cb) => api.start('0', cb));
  out.startById = [error(byId.e), short(byId.r)];
  const byNamespace = await call((cb) => api.start('ns1', cb));
  out.startByNamespace = [error(byNamespace.e), short(byNamespace.r)];
  const all = await call((cb) => api.start('all', cb));
  out.startAll = [error(all.e), Array.isArray(all.r) ? all.r.map((proc) => proc.name).sort() : String(all.r)];
  out.startUnknownId = await both((cb) => api.start('7', cb));
  // a start that restarts (a script path at rest, an object that runs) answers those in the short form, first; the others as started
  await call((cb) => api.start('hold.js', { name: 'p1' }, cb));
  await call((cb) => api.stop('p1', cb));
  const pathStopped = await call((cb) => api.start('hold.js', { name: 'p1' }, cb));
  out.startPathStopped = [error(pathStopped.e), short(pathStopped.r)];
  const objectRunning = await call((cb) => api.start([{ script: 'hold.js', name: 'p2' }, { script: 'hold.js', name: 'p1' }], cb));
  out.startObjectRunning = [error(objectRunning.e), objectRunning.r.map((proc) => (proc.process ? ['started', proc.pm2_env.name] : ['restarted', proc.name, Object.keys(proc).sort()]))];
  await call((cb) => api.delete('p1', cb));
  await call((cb) => api.delete('p2', cb));
  // stop (also of a stopped app), restart and delete hand PM2's short form
  out.stop = short((await call((cb) => api.stop('web', cb))).r);
  out.stopStopped = short((await call((cb) => api.stop('web', cb))).r);
  out.restart = short((await call((cb) => api.restart('web', cb))).r);
  out.describeUnknown = await both((cb) => api.describe('nothing', cb));
  out.describe = await both((cb) => api.describe('web', cb));
  // flush empties the logs and answers the whole list, a name nothing has without an error
  fs.appendFileSync((await call((cb) => api.describe('web', cb))).r[0].pm2_env.pm_out_log_path, 'a line to flush\\n');
  out.flushName = await both((cb) => api.flush('web', cb));
  out.flushedName = fs.readFileSync((await call((cb) => api.describe('web', cb))).r[0].pm2_env.pm_out_log_path, 'utf8');
  out.flushUnknown = await both((cb) => api.flush('nothing', cb));
  out.reloadLogs = await both((cb) => api.reloadLogs(cb));
  const reloaded = await call((cb) => api.reloadLogs(cb));
  out.reloadLogsValue = JSON.stringify(reloaded.r);
  // resurrect answers the dump file's text, and starts what was saved and is gone
  out.dump = (await both((cb) => api.dump(cb))).error;
  out.delete = short((await call((cb) => api.delete('web', cb))).r);
  const resurrected = await call((cb) => api.resurrect(cb));
  out.resurrect = [error(resurrected.e), result(resurrected.r), Buffer.isBuffer(resurrected.r) && resurrected.r.equals(fs.readFileSync(dumpFile))];
  out.afterResurrect = (await call((cb) => api.list(cb))).r.map((proc) => proc.name + ':' + proc.pm2_env.status).sort();
  // the signal calls answer the daemon's list: its entries' keys
  const signalled = await call((cb) => api.sendSignalToProcessName('SIGWINCH', 'web', cb));
  out.signalItem = [error(signalled.e), Array.isArray(signalled.r) && Object.keys(signalled.r[0]).sort()];
  // dump refuses an empty list, unless forced (PM2's dump(force, cb))
  await call((cb) => api.delete('all', cb));
  out.dumpEmpty = (await both((cb) => api.dump(cb))).error;
  const forced = await call((cb) => api.dump(true, cb));
  out.dumpEmptyForced = [error(forced.e), forced.r && forced.r.success];
  await call((cb) => api.killDaemon(cb));
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch((e) => { console.error(e.stack); process.exit(1); });
`;

let diff: Differential;
let heard: { pm2: Record<string, unknown>; pmx: Record<string, unknown> };

beforeAll(async () => {
  diff = Differential.create();
  diff.write({ 'api.cjs': SCRIPT, 'hold.js': 'setInterval(() => {}, 1000);\n' });
  const pm2Module = dirname(dirname(installPm2().bin));
  const [pm2, pmx] = await Promise.all([
    diff.pm2.sh(`node api.cjs '${pm2Module}' '${join(diff.pm2.home, 'dump.pm2')}'`, { timeoutMs: 120_000 }),
    diff.pmx.sh(`node api.cjs '${ROOT}' '${join(diff.pmx.home, 'dump.pmx')}'`, { timeoutMs: 120_000 }),
  ]);
  for (const [side, outcome] of [['pm2', pm2], ['pmx', pmx]] as const) {
    if (outcome.code !== 0) throw new Error(`${side}'s script failed (exit ${outcome.code}): ${outcome.stderr}`);
  }
  const parse = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  heard = { pm2: parse(pm2.stdout), pmx: parse(pmx.stdout) };
}, 240_000);
afterAll(() => diff?.close());

describe("the API's callbacks are handed what PM2 hands them, through the same script", () => {
  const same = (keys: string[]) => () => {
    for (const key of keys) expect({ [key]: heard.pmx[key] }).toEqual({ [key]: heard.pm2[key] });
  };

  it('a start of apps (a list, an object, a file) some of whose scripts are missing gets a list of errors and the processes started; a script path one Error', same(['startListMissing', 'afterListMissing', 'startObjectMissing', 'startFileScriptMissing', 'startScriptMissing']))
  it("a start of an ecosystem file that is not there fails with the file system's ENOENT, as PM2's", same(['startFileMissing']));
  it("a start of a registered name, id, namespace or 'all' restarts it and answers PM2's short form; an unknown id fails as PM2's", same(['startByName', 'startById', 'startByNamespace', 'startAll', 'startUnknownId']));
  it('a start that restarts (a script path at rest, an object whose app runs) answers those in the short form, before the apps it started', same(['startPathStopped', 'startObjectRunning']));
  it("stop (of a stopped app too), restart and delete answer PM2's short form; describe a list, empty for an unknown name", same(['stop', 'stopStopped', 'restart', 'delete', 'describeUnknown', 'describe']));
  it('flush empties the logs and answers the whole list, without an error for a name nothing has', same(['flushName', 'flushedName', 'flushUnknown']));
  it("reloadLogs answers {}; resurrect the dump file's text as a Buffer, and starts what was saved", same(['reloadLogs', 'reloadLogsValue', 'dump', 'resurrect', 'afterResurrect']));
  it('the signal calls answer the list without monit; dump refuses an empty list in PM2\'s words and saves it when forced', same(['signalItem', 'dumpEmpty', 'dumpEmptyForced']));

  it('reads what it compares (the scenario ran)', () => {
    expect(heard.pmx.afterListMissing).toEqual(['ok1:online']);
    expect(heard.pmx.flushedName).toBe('');
    expect(heard.pmx.afterResurrect).toEqual(['ok1:online', 'web:online']);
    expect((heard.pmx.startListMissing as [{ list: unknown[] }])[0].list).toHaveLength(2);
  });
});
