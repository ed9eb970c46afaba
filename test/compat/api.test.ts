// Differential: the programmatic API (`require('pm2')` against `require('pmx')`), driven by the
// same script on both sides: what a script reads from each call's callback (results, the keys
// it branches on, error messages), for the calls PM2 users make most.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { Differential } from './harness.js';
import { installPm2 } from './pm2-install.js';
import { ROOT } from '../helpers/pmx.js';

const SCRIPT = `
const api = require(process.argv[2]);
const out = {};
const call = (fn) => new Promise((resolve) => fn((error, result) => resolve(error ? { error: Array.isArray(error) ? error.map((e) => e.message) : error.message } : { result })));
const names = (list) => list.map((proc) => proc.pm2_env.name + ':' + proc.pm2_env.status + ':' + proc.pm2_env.restart_time).sort();
(async () => {
  out.connect = Object.keys((await call((cb) => api.connect(cb))).result || {}).sort();
  // an object whose name runs already restarts it (a script path is refused, on both)
  await call((cb) => api.start({ script: 'hold.js', name: 'web' }, cb));
  const again = await call((cb) => api.start({ script: 'hold.js', name: 'web' }, cb));
  out.startRunningObject = again.error || names(again.result);
  out.startRunningScript = (await call((cb) => api.start('hold.js', { name: 'web' }, cb))).error !== undefined;
  out.startRunningScriptMessage = (await call((cb) => api.start('hold.js', { name: 'web' }, cb))).error;
  out.startMissing = String((await call((cb) => api.start(process.cwd() + '/missing.js', cb))).error).replace(process.cwd(), '<WORK>');
  // PM2's start answers its process objects: process.pid
  const started = (await call((cb) => api.start('hold.js', { name: 'pidded' }, cb))).result;
  out.startPid = typeof started[0].process.pid === 'number' && started[0].process.pid > 0;
  // without a callback, a call that fails does not end the program (PM2 prints it and goes on)
  api.delete('maybe-old-app');
  api.stop('also-missing');
  await new Promise((resolve) => setTimeout(resolve, 500));
  out.noCallback = 'survived';
  // restart of an app given as its options object: restarted with them
  const redone = await call((cb) => api.restart({ script: 'hold.js', name: 'web', env: { BAR: 'b3' } }, cb));
  out.restartObject = redone.error || names(redone.result);
  out.restartObjectEnv = (await call((cb) => api.describe('web', cb))).result[0].pm2_env.env.BAR;
  // stop and delete of a file whose script is gone (an old release removed)
  require('fs').mkdirSync('eco', { recursive: true });
  require('fs').copyFileSync('hold.js', 'eco/gone.js');
  require('fs').writeFileSync('eco/ecosystem.config.js', "module.exports = { apps: [{ name: 'g1', script: './gone.js', cwd: __dirname }] };");
  await call((cb) => api.start(process.cwd() + '/eco/ecosystem.config.js', cb));
  require('fs').unlinkSync('eco/gone.js');
  out.stopFileGone = (await call((cb) => api.stop(process.cwd() + '/eco/ecosystem.config.js', cb))).error || 'ok';
  out.deleteFileGone = (await call((cb) => api.delete(process.cwd() + '/eco/ecosystem.config.js', cb))).error || 'ok';
  out.afterFileGone = names((await call((cb) => api.list(cb))).result).filter((name) => name.startsWith('g1:'));
  // PM2 takes every option in camelCase too, and the script form's arguments as scriptArgs
  const camel = (await call((cb) => api.start({ script: 'hold.js', name: 'camel', execMode: 'cluster', instances: 1, maxMemoryRestart: '100M', killTimeout: 1234, nodeArgs: '--max-old-space-size=99' }, cb))).result;
  const camelEnv = camel && camel[0].pm2_env;
  out.camelCase = camelEnv ? [camelEnv.exec_mode, camelEnv.max_memory_restart, camelEnv.kill_timeout, camelEnv.node_args] : 'failed';
  const argued = (await call((cb) => api.start('hold.js', { name: 'argued', scriptArgs: ['--port', '8080'] }, cb))).result;
  out.scriptArgs = argued ? argued[0].pm2_env.args : 'failed';
  await call((cb) => api.delete('camel', cb));
  await call((cb) => api.delete('argued', cb));
  // a list of apps, and { apps }
  out.startArray = names((await call((cb) => api.start([{ script: 'hold.js', name: 'a1' }, { script: 'hold.js', name: 'a2' }], cb))).result || []);
  out.startApps = names((await call((cb) => api.start({ apps: [{ script: 'hold.js', name: 'b1' }] }, cb))).result || []);
  out.ids = (await call((cb) => api.getProcessIdByName('a1', cb))).result;
  out.idsNone = (await call((cb) => api.getProcessIdByName('nothing', cb))).result;
  out.dump = Object.keys((await call((cb) => api.dump(cb))).result).filter((key) => key === 'success');
  out.reset = (await call((cb) => api.reset('web', cb))).result;
  out.resetUnknown = (await call((cb) => api.reset('nothing', cb))).error;
  out.scaleUp = (await call((cb) => api.scale('a1', 2, cb))).result;
  out.scaleSame = (await call((cb) => api.scale('a1', 2, cb))).error;
  out.scaleUnknown = (await call((cb) => api.scale('nothing', 2, cb))).error;
  out.afterScale = (await call((cb) => api.getProcessIdByName('a1', cb))).result.length;
  const signalled = await call((cb) => api.sendSignalToProcessName('SIGUSR2', 'web', cb));
  out.signalName = Array.isArray(signalled.result) ? signalled.result.length : signalled.error;
  out.signalUnknown = (await call((cb) => api.sendSignalToProcessName('SIGUSR2', 'nothing', cb))).error;
  out.signalBad = (await call((cb) => api.sendSignalToProcessName('SIGFOO', 'web', cb))).error;
  out.ping = (await call((cb) => api.ping(cb))).result;
  out.stopUnknownName = (await call((cb) => api.stop('nothing', cb))).error;
  out.restartUnknownId = (await call((cb) => api.restart(99, cb))).error;
  out.stopUnknownId = (await call((cb) => api.stop(99, cb))).error;
  out.reloadUnknownId = (await call((cb) => api.reload(99, cb))).error;
  out.sendUnknownId = (await call((cb) => api.sendDataToProcessId(99, { type: 'process:msg', data: {}, topic: 't' }, cb))).error;
  await call((cb) => api.delete('all', cb));
  out.stopAllEmpty = (await call((cb) => api.stop('all', cb))).error;
  out.killDaemon = Object.keys((await call((cb) => api.killDaemon(cb))).result).filter((key) => key === 'success');
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch((error) => { console.error(error.stack); process.exit(1); });
`;

let diff: Differential;
let heard: { pm2: Record<string, unknown>; pmx: Record<string, unknown> };

beforeAll(async () => {
  diff = Differential.create();
  diff.write({ 'api.cjs': SCRIPT, 'hold.js': "setInterval(() => {}, 1000);\nprocess.on('SIGUSR2', () => console.log('usr2'));\n" });
  const pm2Module = dirname(dirname(installPm2().bin));
  const [pm2, pmx] = await Promise.all([diff.pm2.sh(`node api.cjs '${pm2Module}'`, { timeoutMs: 120_000 }), diff.pmx.sh(`node api.cjs '${ROOT}'`, { timeoutMs: 120_000 })]);
  for (const [side, outcome] of [['pm2', pm2], ['pmx', pmx]] as const) {
    if (outcome.code !== 0) throw new Error(`${side}'s script failed (exit ${outcome.code}): ${outcome.stderr}`);
  }
  const parse = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  heard = { pm2: parse(pm2.stdout), pmx: parse(pmx.stdout) };
}, 240_000);
afterAll(() => diff?.close());

describe('the programmatic API, through the same script', () => {
  const same = (keys: string[]) => () => {
    for (const key of keys) expect({ [key]: heard.pmx[key] }).toEqual({ [key]: heard.pm2[key] });
  };

  it('start: an object whose name runs restarts it, a script path that runs is refused, a list and { apps } start each', same(['startRunningObject', 'startRunningScript', 'startArray', 'startApps']));
  it('getProcessIdByName, reset, scale and sendSignalToProcessName answer as PM2 and fail with its words', same(['ids', 'idsNone', 'reset', 'resetUnknown', 'scaleUp', 'scaleSame', 'scaleUnknown', 'afterScale', 'signalName', 'signalUnknown']));
  it("an unknown name, id or an empty 'all' fails with PM2's message", same(['stopUnknownName', 'restartUnknownId', 'stopUnknownId', 'reloadUnknownId', 'sendUnknownId', 'stopAllEmpty']));
  it("dump, killDaemon and ping answer PM2's keys; connect PM2's description of the daemon", same(['dump', 'killDaemon', 'ping', 'connect']));
  it("start fails with PM2's words (a running script, a missing one) and answers process.pid; a bad signal is PM2's 'Unknown signal'", same(['startRunningScriptMessage', 'startMissing', 'startPid', 'signalBad']));
  it('a call without a callback that fails does not end the program, as with PM2', same(['noCallback']));
  it("takes options in camelCase (execMode, maxMemoryRestart, killTimeout, nodeArgs) and the script form's scriptArgs, as PM2 does", same(['camelCase', 'scriptArgs']));
  it('restart of an app object restarts it with its options; stop and delete of a file whose script is gone act on its apps', same(['restartObject', 'restartObjectEnv', 'stopFileGone', 'deleteFileGone', 'afterFileGone']));

  it('reads what it compares (the scenario ran)', () => {
    expect(heard.pmx.startRunningObject).toEqual(['web:online:1']);
    expect(heard.pmx.afterScale).toBe(2);
    expect([heard.pmx.startRunningScriptMessage, heard.pmx.startPid, heard.pmx.restartObjectEnv, heard.pmx.afterFileGone]).toEqual(['Script already launched', true, 'b3', []]);
  });
});
