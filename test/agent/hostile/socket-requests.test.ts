// Hostile requests on the agent socket: a 50 MB line is refused with an error while `pmx ls`
// answers; null, non-objects and names from Object.prototype as methods or params get a
// validation error, never an internal error or a success; nothing is registered by a bad start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, type JlistEntry } from '../../helpers/pmx.js';
import { RawClient, type Reply } from './socket-client.js';

const pmx = new PmxSandbox();
let socket: string;
let client: RawClient;
/** The agent's own description of a running app (its `list`, not `pmx jlist`, which has PM2's keys): its pm2_env carries a complete, valid app spec. */
let running: JlistEntry;

beforeAll(async () => {
  await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'steady']);
  socket = join(pmx.home, 'agent.sock');
  client = await RawClient.open(socket);
  running = ((await client.call(1, 'list', {})).result as JlistEntry[]).find((proc) => proc.name === 'steady')!;
});

afterAll(async () => {
  client?.close();
  await pmx.cleanup();
});

const MB = 1024 * 1024;

/** Writes `total` bytes of one unending JSON string on `raw`, honouring back-pressure; stops when the agent closes. */
async function sendLongLine(raw: RawClient, total: number, onProgress: (sent: number) => void): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  raw.socket.write('{"id":7,"method":"list","params":{"pad":"');
  let sent = 0;
  // as a client would, it stops once it has the agent's answer
  while (sent < total && !raw.socket.destroyed && raw.replies().length === 0) {
    sent += chunk.length;
    onProgress(sent);
    if (!raw.socket.write(chunk)) {
      await Promise.race([new Promise((resolve) => raw.socket.once('drain', resolve)), raw.closed]);
    }
  }
  return sent;
}

describe('a 50 MB line on the agent socket', () => {
  it('is refused with MESSAGE_TOO_LARGE and its connection closed, while pmx ls answers on another', async () => {
    const flood = await RawClient.open(socket);
    let reachedEightMb!: () => void;
    const eightMb = new Promise<void>((resolve) => (reachedEightMb = resolve));
    const sending = sendLongLine(flood, 50 * MB, (sent) => sent >= 8 * MB && reachedEightMb());
    await eightMb;
    const listed = await pmx.run(['ls']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('steady');

    const refusal = await flood.reply(-1);
    expect(refusal.ok).toBe(false);
    expect(refusal.error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', data: { limit: 16 * MB } });
    expect(refusal.error!.message).toContain(`longer than ${16 * MB} bytes`);
    await flood.closed;
    expect(await sending).toBeLessThan(50 * MB); // the agent stopped reading: the rest was never taken
    expect((await client.call(1, 'list', {})).ok).toBe(true);
  });

  it('closes the connection of a peer that sends requests but never reads the answers, before 64 MB of them are held', async () => {
    // an app with a 100 KB variable makes each answer to list large
    await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'bulky'], { env: { BULK: 'b'.repeat(100_000) } });
    const raw = await RawClient.open(socket);
    raw.socket.pause(); // reads nothing (and so does not see the close either, until it resumes)
    const request = Buffer.from(`${JSON.stringify({ id: 1, method: 'list', params: {} })}\n`);
    const replyBytes = JSON.stringify((await client.call(3, 'list', {})).result).length;
    const count = Math.ceil((80 * MB) / replyBytes);
    await new Promise((resolve) => raw.socket.write(Buffer.concat(Array.from({ length: count }, () => request)), resolve));
    // the agent read and answered all of those in one turn: two round trips on another connection later, it has
    for (const id of [4, 5]) expect((await client.call(id, 'list', {})).ok).toBe(true);
    let received = 0;
    raw.socket.on('data', (chunk: string) => (received += Buffer.byteLength(chunk)));
    raw.socket.resume();
    await raw.closed;
    expect(received).toBeLessThan(count * replyBytes);
    expect(received).toBeLessThan(64 * MB + 2 * replyBytes + MB);
    await pmx.ok(['delete', 'bulky']);
  }, 60_000);

  it('answers a line that is not JSON with an error and keeps the connection', async () => {
    const raw = await RawClient.open(socket);
    raw.send('this is not json');
    expect(await raw.reply(-1)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect((await raw.call(2, 'list', {})).ok).toBe(true);
    raw.close();
  });
});

describe('methods and params', () => {
  let id = 100;
  const expectInvalid = (reply: Reply): void => {
    expect(reply.ok, JSON.stringify(reply)).toBe(false);
    expect(reply.error!.code, reply.error!.message).toBe('INVALID_REQUEST');
  };

  it.each([null, 42, true, ['list'], { name: 'list' }, 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__', ''])(
    'refuses the method %j as unknown',
    async (method) => {
      const reply = await client.call(++id, method, {});
      expectInvalid(reply);
      expect(reply.error!.message).toContain('unknown method');
    },
  );

  it.each(['null', '42', '"list"', '[]', '[{"id":1,"method":"list"}]', 'true'])('refuses the message %s, which is not a request object', async (line) => {
    const raw = await RawClient.open(socket);
    raw.send(line);
    expectInvalid(await raw.reply(-1));
    raw.close();
  });

  const BAD_PARAMS: [method: string, params: unknown][] = [
    ['list', null],
    ['list', 5],
    ['list', 'constructor'],
    ['list', []],
    ['hello', { protocol: 'two' }],
    ['start', { apps: null, mode: 'start', updateEnv: false }],
    ['start', { apps: [null], mode: 'start', updateEnv: false }],
    ['start', { apps: [5], mode: 'start', updateEnv: false }],
    ['start', { apps: [{}], mode: 'start', updateEnv: false }],
    ['start', { apps: [{ name: 'constructor' }], mode: 'start', updateEnv: false }],
    ['start', { apps: [], mode: 'constructor', updateEnv: false }],
    ['stop', { selector: null }],
    ['stop', { selector: 'all' }],
    ['stop', { selector: { kind: 'constructor' } }],
    ['stop', { selector: { kind: '__proto__' } }],
    ['stop', { selector: { kind: 'id', id: 'zero' } }],
    ['stop', { selector: { kind: 'names', names: 'steady' } }],
    ['restart', { selector: { kind: 'all' }, env: { __proto__: null, A: 1 } }],
    ['restart', { selector: { kind: 'all' }, env: 'A=1' }],
    ['reload', { selector: { kind: 'all' }, parallel: 'toString' }],
    ['restart', { selector: { kind: 'all' }, options: { cron_restart: 'bad cron' } }],
    ['reload', { selector: { kind: 'all' }, options: { name: 'renamed' } }],
    ['restart', { selector: { kind: 'all' }, options: { __proto__: null, kill_timeout: -1 } }],
    ['delete', { selector: { kind: 'regex', source: '(', flags: '' } }],
    ['delete', {}],
    ['reset', { selector: { kind: 'namespace' } }],
    ['scale', { name: { toString: 'steady' }, count: 2 }],
    ['scale', { name: 'steady', count: null }],
    ['signal', { selector: { kind: 'all' }, signal: { valueOf: 9 } }],
    ['save', { force: 'yes' }],
    ['flush', { selector: 'constructor' }],
    ['metrics', { action: 'constructor' }],
    ['metrics', { action: 'listen', host: null, port: 'x' }],
    ['dashboard', { host: { toString: 'x' }, port: 1 }],
    ['dashboard', { host: '127.0.0.1', port: '9615' }],
  ];

  it.each(BAD_PARAMS)('refuses %s with params %j', async (method, params) => {
    expectInvalid(await client.call(++id, method, params));
  });

  it('registered and stopped nothing, and met no internal error, after all of them', async () => {
    const list = await client.call(++id, 'list', {});
    expect((list.result as JlistEntry[]).map((proc) => [proc.name, proc.pm2_env.status])).toEqual([['steady', 'online']]);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain('internal error');
  });
});

describe('app specs sent to the agent', () => {
  /** The running app's spec with `change` applied, under a new name unless the change names it. */
  const specWith = (change: Record<string, unknown>): Record<string, unknown> => ({ ...running.pm2_env, name: 'other', ...change });
  const start = (spec: Record<string, unknown>) => client.call(Math.floor(Math.random() * 1e9), 'start', { apps: [spec], mode: 'start', updateEnv: false });

  it('starts a valid spec (the baseline for the refusals below)', async () => {
    const reply = await start(specWith({ name: 'valid-copy' }));
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    expect((await client.call(9001, 'delete', { selector: { kind: 'name', name: 'valid-copy' } })).ok).toBe(true);
  });

  it.each([
    ['a name with a newline', { name: 'evil\n[PMX] Applying action deleteProcessId on app [steady]' }, 'name must be a name of 1 to 256 characters without control characters'],
    ['a name with an escape sequence', { name: 'evil\u001b[2J' }, 'name must be a name'],
    ['a namespace with a carriage return', { namespace: 'ns\rforged' }, 'namespace must be a name'],
    ['an env value with NUL', { env: { PATH: '/usr/bin', SECRET: 'a\u0000b' } }, 'env must be'],
    ['100000 instances', { instances: 100000 }, 'instances must be a whole number from 1 to 1024'],
    ['an argument with NUL', { args: ['ok', 'a\u0000b'] }, 'args must be an array of strings without NUL characters'],
    ['a cron_restart croner cannot schedule', { cron_restart: 'bad cron' }, "apps[0] ('other'): cron_restart must be a cron expression"],
  ])('refuses %s, registering nothing', async (_what, change, message) => {
    const reply = await start(specWith(change));
    expect(reply.ok).toBe(false);
    expect(reply.error!.code).toBe('INVALID_REQUEST');
    expect(reply.error!.message).toContain(message);
    const list = await client.call(9002, 'list', {});
    expect((list.result as JlistEntry[]).map((proc) => proc.name)).toEqual(['steady']);
  });
});
