// The bus under load and abuse, on a real agent: subscribers never take the connections commands
// need, one that falls far behind loses events but is told how many, output that never ends a line
// costs no memory, and what fork-mode apps send without an IPC channel arrives whole, in order, and
// never blocks them, not even while no agent runs.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PmxSandbox, ROOT, alive, eventually } from '../helpers/pmx.js';
import { RawClient } from './hostile/socket-client.js';

type Api = typeof import('../../cli/api/index.js').default;
// the built package, as a user's script requires it (its agent is the built one)
const { Pmx } = createRequire(join(ROOT, 'package.json'))(join(ROOT, 'dist/api.cjs')) as typeof import('../../cli/api/index.js');

const pmx = new PmxSandbox('pmx-bus-');
const api: Api = new Pmx({ home: pmx.home });
afterAll(async () => {
  await api.disconnect();
  await pmx.cleanup();
});

/** An app that writes `LINES` numbered lines as fast as it can, then 'done' on stderr. */
const FLOOD = `const total = Number(process.env.LINES);
let i = 0;
const pad = 'x'.repeat(100);
function more() {
  while (i < total) if (!process.stdout.write('#' + i++ + ' ' + pad + '\\n')) return process.stdout.once('drain', more);
  console.error('done');
}
more();
setInterval(() => {}, 1000);
`;

/** Sends MESSAGES messages, one of 200 KB, tries a cyclic one and one over the limit, and logs what it was told. */
const SENDER = `const told = [];
for (let i = 0; i < Number(process.env.MESSAGES); i++) process.send({ type: 'seq', data: i });
process.send({ type: 'big', data: 'b'.repeat(200 * 1024) });
const cyclic = {}; cyclic.self = cyclic;
try { process.send({ type: 'cyclic', data: cyclic }); told.push('cyclic sent'); } catch (error) { told.push('cyclic threw ' + error.name); }
process.send({ type: 'huge', data: 'h'.repeat(2 * 1024 * 1024) }, (error) => {
  told.push('huge ' + (error ? error.code : 'sent'));
  console.log('told ' + told.join(', '));
});
setInterval(() => {}, 1000);
`;

describe('the bus', () => {
  it('a subscriber that falls 16 MB behind misses what comes meanwhile, is told how many, and holds the agent to a bounded memory', async () => {
    writeFileSync(join(pmx.dir, 'flood.js'), FLOOD);
    await pmx.ok(['ping']);
    const slow = await RawClient.open(join(pmx.home, 'agent.sock'));
    expect((await slow.call(1, 'subscribe')).ok).toBe(true);
    slow.socket.pause(); // it reads nothing for now
    await pmx.ok(['start', join(pmx.dir, 'flood.js'), '-n', 'flood'], { env: { LINES: '400000' } });
    const err = (await pmx.proc('flood')).pm2_env.pm_err_log_path;
    await eventually('the flood written', () => readFileSync(err, 'utf8').includes('done'), 60_000);
    const agent = pmx.agentPid()!;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent}/status`, 'utf8'))![1]) / 1024;
    expect(rss).toBeLessThan(200); // 44 MB of lines went by; what waits for the subscriber is bounded
    slow.socket.resume();
    // what it got and what it was told it missed (in lines, as the bus hands them out) make up every line the app wrote
    const replies = () => slow.replies() as { event?: string; data: { lines: string[]; count: number } }[];
    const got = () => replies().filter((line) => line.event === 'log:out' || line.event === 'log:err').reduce((sum, line) => sum + line.data.lines.length, 0);
    const missed = () => replies().filter((line) => line.event === 'pmx:dropped').reduce((sum, line) => sum + line.data.count, 0);
    try {
      // 400,000 lines on stdout, and 'done' on stderr
      await eventually('every line got or told missed', () => got() + missed() === 400_001, 30_000);
      expect(missed()).toBeGreaterThan(0);
      expect(got()).toBeGreaterThan(0);
    } finally {
      slow.close();
    }
    await pmx.ok(['delete', 'flood']);
  }, 120_000);

  it('a line that never ends comes in pieces as the agent reads it, and is held by nobody (3 MB, then its newline)', async () => {
    writeFileSync(join(pmx.dir, 'endless.js'), "process.stdout.write('z'.repeat(3 * 1024 * 1024), () => process.stdout.write('\\n'));\nsetInterval(() => {}, 1000);\n");
    const bus = await api.launchBus();
    try {
      const pieces: string[] = [];
      bus.on('log:out', (packet: { data: string; process: { name: string } }) => packet.process.name === 'endless' && pieces.push(packet.data));
      await pmx.ok(['start', join(pmx.dir, 'endless.js'), '-n', 'endless']);
      await eventually('the 3 MB and the newline on the bus', () => pieces.join('').length === 3 * 1024 * 1024 + 1, 30_000);
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.join('')).toMatch(/^z+\n$/);
    } finally {
      bus.close();
    }
    await pmx.ok(['delete', 'endless']);
  });

  it('a connection that subscribes twice is subscribed once: each event comes once', async () => {
    const client = await RawClient.open(join(pmx.home, 'agent.sock'));
    try {
      client.send({ id: 1, method: 'subscribe' });
      client.send({ id: 2, method: 'subscribe' });
      expect([(await client.reply(1)).ok, (await client.reply(2)).ok]).toEqual([true, true]);
      await pmx.ok(['start', join(pmx.dir, 'endless.js'), '-n', 'once']);
      const starts = () => client.replies().filter((line) => (line as { event?: string; data?: { event?: string; process?: { name?: string } } }).data?.event === 'start' && (line as { data: { process: { name: string } } }).data.process.name === 'once');
      await eventually('the start told', () => starts().length > 0);
      await pmx.ok(['delete', 'once']);
      await eventually('the delete told', () => client.replies().some((line) => (line as { data?: { event?: string } }).data?.event === 'delete'));
      expect(starts()).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it("subscribers are held to a quarter of the socket's connections: one more is refused, naming the limit, and commands still get in", async () => {
    const subscribers: RawClient[] = [];
    try {
      for (;;) {
        const client = await RawClient.open(join(pmx.home, 'agent.sock'));
        subscribers.push(client);
        const reply = await client.call(1, 'subscribe');
        if (!reply.ok) {
          expect(reply.error).toMatchObject({ code: 'TOO_MANY_SUBSCRIBERS' });
          // the limit it names is the number it held (ours; no other bus is open)
          expect(reply.error!.message).toMatch(new RegExp(`^subscribe: ${subscribers.length - 1} buses are subscribed already`));
          break;
        }
        expect(subscribers.length).toBeLessThanOrEqual(256);
      }
      expect(subscribers.length - 1).toBeGreaterThan(0);
      const listed = await pmx.run(['ls']);
      expect(listed.code, listed.stderr).toBe(0);
    } finally {
      for (const client of subscribers) client.close();
    }
    // the agent has seen them go: a bus subscribes again
    await eventually('room for a bus again', async () => {
      const client = await RawClient.open(join(pmx.home, 'agent.sock'));
      const reply = await client.call(1, 'subscribe');
      client.close();
      return reply.ok;
    });
  }, 60_000);
});

describe('a cluster reload on the bus', () => {
  it("tells each instance's replacement online, then the replaced child's exit (under `_old_<id>`), then reload, as PM2 tells them", async () => {
    writeFileSync(join(pmx.dir, 'server.js'), "require('http').createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');\n");
    await pmx.ok(['start', join(pmx.dir, 'server.js'), '-n', 'web', '-i', '2']);
    const bus = await api.launchBus();
    try {
      const events: string[] = [];
      bus.on('process:event', (packet: { event: string; process: { name: string; pm_id: number | string } }) => packet.process.name === 'web' && events.push(`${packet.process.pm_id} ${packet.event}`));
      const ids = (await pmx.jlist()).filter((entry) => entry.name === 'web').map((entry) => entry.pm_id);
      expect(ids).toHaveLength(2);
      await pmx.ok(['reload', 'web']);
      await eventually('both reloads told', () => events.filter((event) => event.endsWith(' reload')).length === 2);
      for (const id of ids) expect(events.filter((event) => event.startsWith(`${id} `) || event.startsWith(`_old_${id} `))).toEqual([`${id} online`, `_old_${id} exit`, `${id} reload`]);
    } finally {
      bus.close();
    }
    await pmx.ok(['delete', 'web']);
  });
});

describe('process.send from a fork-mode app without an IPC channel', () => {
  it('arrives on the bus whole and in order (20,000 messages, one of 200 KB); a cyclic one throws as over IPC, one over 1 MB is refused to its callback', async () => {
    writeFileSync(join(pmx.dir, 'sender.js'), SENDER);
    const bus = await api.launchBus();
    const seq: number[] = [];
    let big = 0;
    bus.on('seq', (packet: { data: number }) => seq.push(packet.data));
    bus.on('big', (packet: { data: string }) => (big = packet.data.length));
    await pmx.ok(['start', join(pmx.dir, 'sender.js'), '-n', 'sender'], { env: { MESSAGES: '20000' } });
    await eventually('every message on the bus', () => seq.length === 20_000 && big > 0, 30_000);
    expect(seq.every((value, index) => value === index)).toBe(true);
    expect(big).toBe(200 * 1024);
    const out = (await pmx.proc('sender')).pm2_env.pm_out_log_path;
    await eventually('what the app was told', () => readFileSync(out, 'utf8').includes('told '));
    expect(readFileSync(out, 'utf8')).toContain('told cyclic threw TypeError, huge ERR_PMX_NOT_SENT');
    bus.close();
    await pmx.ok(['delete', 'sender']);
  }, 60_000);

  it('never blocks the app: one that sent more than the pipe holds while no agent ran exits when it is done', async () => {
    writeFileSync(join(pmx.dir, 'batch.js'), "const iv = setInterval(() => {}, 1000);\nprocess.on('SIGUSR2', () => {\n  for (let i = 0; i < 200; i++) process.send({ type: 'b', data: 'q'.repeat(1000) });\n  clearInterval(iv);\n  process.removeAllListeners('SIGUSR2');\n});\n");
    await pmx.ok(['start', join(pmx.dir, 'batch.js'), '-n', 'batch', '--no-autorestart']);
    const app = (await pmx.proc('batch')).pid;
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    // 200 KB for a pipe of 64 KB that nobody reads: the rest waits in the app, which is done and exits
    process.kill(app, 'SIGUSR2');
    await eventually('the app to exit with no agent running', () => !alive(app), 15_000);
    await pmx.ok(['delete', 'batch']);
  }, 60_000);
});
