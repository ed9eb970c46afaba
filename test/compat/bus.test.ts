// Differential: what a launchBus listener (a crash notifier, a log shipper, a pm2 module) hears from
// PM2's bus and from pmx's, through the same script driving the same API calls. Each step waits
// for the event that ends it, so nothing here depends on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { Differential } from './harness.js';
import { installPm2 } from './pm2-install.js';
import { ROOT } from '../helpers/pmx.js';

const LISTENER = `
const api = require(process.argv[2]);
const heard = [];
const star = new Set();
const waiters = [];
const hear = (line) => {
  heard.push(line);
  for (const waiter of [...waiters]) if (waiter.test(line)) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve(); }
};
// resolves once a line matching \`pattern\` has been heard since \`from\`
const heardLine = (pattern, from) => heard.slice(from).some((line) => pattern.test(line)) ? Promise.resolve() : new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('never heard ' + pattern + ' in ' + JSON.stringify(heard))), 15000);
  waiters.push({ test: (line) => pattern.test(line), resolve: () => { clearTimeout(timer); resolve(); } });
});
const call = (fn) => new Promise((resolve, reject) => fn((error, result) => (error ? reject(error) : resolve(result))));
(async () => {
  await call((cb) => api.connect(cb));
  const bus = await call((cb) => api.launchBus(cb));
  bus.on('*', (event) => star.add(event));
  bus.on('process:event', (packet) => hear('event ' + packet.process.name + ' ' + packet.event + ' exit_code=' + packet.process.exit_code + ' restarts=' + packet.process.restart_time));
  bus.on('log:out', (packet) => hear('out ' + packet.process.name + ' ' + JSON.stringify(packet.data)));
  bus.on('log:err', (packet) => hear('err ' + packet.process.name + ' ' + JSON.stringify(packet.data)));
  bus.on('process:msg', (packet) => hear('msg ' + packet.process.name + ' ' + JSON.stringify(packet.raw)));
  bus.on('custom:event', (packet) => hear('custom ' + packet.process.name + ' ' + JSON.stringify(packet.data)));
  // which process an event is about, for the cluster app a reload renews (a monitor tracks workers by pm_id)
  bus.on('process:event', (packet) => packet.process.name === 'web' && hear('web ' + packet.event + ' ' + packet.process.pm_id + ' ' + packet.process.status));
  // patterns, as log streamers subscribe: handed what the * matched first (PM2's own daemon lines, log:PM2, are not compared)
  bus.on('log:*', (type, packet) => type !== 'PM2' && hear('log:* ' + type + ' ' + packet.process.name + ' ' + JSON.stringify(packet.data)));
  bus.on('process:*', (type, packet) => type === 'exception' && hear('process:* exception ' + packet.process.name));
  bus.on('process:exception', (packet) => hear('exception ' + packet.process.name + ' ' + packet.data.message));
  const steps = {};
  const step = async (name, act, ends) => {
    const from = heard.length;
    await act();
    for (const pattern of ends) await heardLine(pattern, from);
    steps[name] = heard.slice(from);
  };
  await step('start', () => call((cb) => api.start({ script: __dirname + '/hold.js', name: 'svc' }, cb)), [/^event svc start/, /^out svc/, /^err svc/]);
  await step('restart', () => call((cb) => api.restart('svc', cb)), [/^event svc restart/, /^out svc/, /^err svc/]);
  await step('stop', () => call((cb) => api.stop('svc', cb)), [/^event svc stop/]);
  await step('crash loop', () => call((cb) => api.start({ script: __dirname + '/crash.js', name: 'crasher', max_restarts: 3, min_uptime: 5000 }, cb)), [/^event crasher restart overlimit/, /^event crasher exit.*restarts=2/]);
  await step('messages', () => call((cb) => api.start({ script: __dirname + '/talk.js', name: 'talker' }, cb)), [/^custom talker/, /^msg talker/]);
  await step('exception', () => call((cb) => api.start({ script: __dirname + '/throw.js', name: 'thrower', autorestart: false }, cb)), [/^exception thrower/, /^event thrower exit/]);
  await step('cluster start', () => call((cb) => api.start({ script: __dirname + '/web.js', name: 'web', instances: 2, exec_mode: 'cluster' }, cb)), [/^event web online/]);
  const first = (await call((cb) => api.describe('web', cb))).map((proc) => proc.pm_id).sort();
  await step('cluster reload', () => call((cb) => api.reload('web', cb)), first.map((id) => new RegExp('^web exit _old_' + id + ' stopped')));
  console.log(JSON.stringify({ steps, star: [...star].sort() }));
  bus.close();
  await call((cb) => api.killDaemon(cb));
  process.exit(0);
})().catch((error) => { console.error(error.stack); process.exit(1); });
`;

const FILES = {
  'listener.cjs': LISTENER,
  'hold.js': "setInterval(() => {}, 1000);\nconsole.log('up');\nconsole.error('warming');\n",
  'web.js': "require('http').createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');\n",
  'crash.js': "console.log('about to crash');\nsetTimeout(() => process.exit(3), 20);\n",
  'throw.js': "setTimeout(() => { throw new Error('kaboom'); }, 300);\n",
  'talk.js': "process.send({ type: 'custom:event', data: { n: 1 } });\nprocess.send({ hello: 'raw' });\nsetInterval(() => {}, 1000);\n",
};

interface Heard {
  steps: Record<string, string[]>;
  star: string[];
}

let diff: Differential;
let heard: { pm2: Heard; pmx: Heard };

beforeAll(async () => {
  diff = Differential.create();
  diff.write(FILES);
  const pm2Module = dirname(dirname(installPm2().bin));
  const [pm2, pmx] = await Promise.all([diff.pm2.sh(`node listener.cjs '${pm2Module}'`, { timeoutMs: 90_000 }), diff.pmx.sh(`node listener.cjs '${ROOT}'`, { timeoutMs: 90_000 })]);
  for (const [side, outcome] of [['pm2', pm2], ['pmx', pmx]] as const) {
    if (outcome.code !== 0) throw new Error(`${side}'s listener failed (exit ${outcome.code}): ${outcome.stderr}`);
  }
  const parse = (stdout: string): Heard => JSON.parse(stdout.trim().split('\n').at(-1)!) as Heard;
  heard = { pm2: parse(pm2.stdout), pmx: parse(pmx.stdout) };
}, 180_000);
afterAll(() => diff?.close());

/** The process events of a step in order; PM2 tells a stopped process's exit twice (stopping, then stopped): once counts. */
const events = (lines: string[]) => lines.filter((line) => line.startsWith('event ')).filter((line, index, all) => line !== all[index - 1]);
/** The other lines of a step (logs, messages), whose order against the events is the pipes' and not the bus's. */
const others = (lines: string[]) => lines.filter((line) => !line.startsWith('event ')).sort();

describe('launchBus, heard by the same listener', () => {
  for (const step of ['start', 'restart', 'stop', 'crash loop', 'messages']) {
    it(`${step}: the same process events in the same order, the same lines and messages`, () => {
      expect(events(heard.pmx.steps[step]!)).toEqual(events(heard.pm2.steps[step]!));
      expect(others(heard.pmx.steps[step]!)).toEqual(others(heard.pm2.steps[step]!));
    });
  }

  it("a cluster reload tells the exit of each replaced worker under `_old_<id>`, stopped, not under the live id (a monitor took the new worker for dead)", () => {
    const exits = (lines: string[]) => [...new Set(lines.filter((line) => /^web exit /.test(line) && line.endsWith(' stopped')))].sort();
    expect(exits(heard.pmx.steps['cluster reload']!)).toEqual(exits(heard.pm2.steps['cluster reload']!));
    expect(exits(heard.pmx.steps['cluster reload']!).map((line) => line.replace(/\d+/, 'N'))).toEqual(['web exit _old_N stopped', 'web exit _old_N stopped']);
    expect(heard.pmx.steps['cluster reload']!.filter((line) => /^web exit \d/.test(line))).toEqual([]);
  });

  it('an uncaught exception: the same process events, and process:exception with the error (what the app prints of it is not compared: PM2 prints the stack, node the code frame too)', () => {
    const told = (lines: string[]) => others(lines).filter((line) => !line.startsWith('err ') && !line.startsWith('log:* err '));
    expect(events(heard.pmx.steps.exception!)).toEqual(events(heard.pm2.steps.exception!));
    expect(told(heard.pmx.steps.exception!)).toEqual(told(heard.pm2.steps.exception!));
  });

  it("a crash loop is told run by run: an exit for each, then 'restart overlimit'", () => {
    const crashes = events(heard.pmx.steps['crash loop']!).filter((line) => / exit /.test(line));
    expect(crashes).toHaveLength(3);
    expect(crashes.every((line) => line.includes('exit_code=3'))).toBe(true);
  });

  it("a pattern ('log:*', 'process:*') hears what it matches, handed the matched part first; an uncaught exception is told as process:exception", () => {
    const patterned = (lines: string[]) => lines.filter((line) => line.startsWith('log:* ')).sort();
    expect(patterned(heard.pmx.steps.start!)).toEqual(['log:* err svc "warming\\n"', 'log:* out svc "up\\n"']);
    expect(patterned(heard.pmx.steps.start!)).toEqual(patterned(heard.pm2.steps.start!));
    expect(heard.pmx.steps.exception).toContain('exception thrower kaboom');
    expect(heard.pmx.steps.exception).toContain('process:* exception thrower');
  });

  it("'*' hears every event an app or the agent sends, as on PM2's bus", () => {
    for (const event of ['process:event', 'log:out', 'log:err', 'process:msg', 'custom:event']) {
      expect(heard.pm2.star).toContain(event);
      expect(heard.pmx.star).toContain(event);
    }
  });
});
