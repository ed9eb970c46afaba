// Denial of service by pipelined requests: another local user opens connections to the metrics
// endpoint and the dashboard, writes thousands of requests on each at once, and reads no answer.
// The agent answers at most HTTP_MAX_REQUESTS_PER_SOCKET of them per connection and closes it, so
// what waits unread stays small: the CLI is answered, and the agent's memory stays bounded.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';
import { OtherUser } from './other-user.js';

const PIPELINED = join(import.meta.dirname, 'fixtures/pipelined.mjs');
const CONNECTIONS = 32; // the metrics endpoint's cap: none is closed to make room
const REQUESTS = 2000;
/** Generous: the agent's own RSS is about 100 MB; unbounded, the flood took it past 400 MB. */
const RSS_BOUND = 250 * 1024 * 1024;

const user = OtherUser.create();
const pmx = new PmxSandbox();
let agentPid = 0;
let metricsPort = 0;
let dashboardPort = 0;
/** `?token=...`: the flood asks for what the dashboard answers in full (without it, a short 401). */
let dashboardToken = '';

const rssOf = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** The other user's pipelined flood on `port`; `counts()` is what it saw last. */
function flood(port: number, path: string): { counts: () => { opened: number; closed: number }; stop: () => void } {
  const child = user.spawn([process.execPath, user.copy(PIPELINED), String(port), String(CONNECTIONS), String(REQUESTS), path], { PATH: process.env.PATH ?? '' });
  let last = { opened: 0, closed: 0 };
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const lines = text.split('\n');
    text = lines.pop()!;
    if (lines.length > 0) last = JSON.parse(lines.at(-1)!) as typeof last;
  });
  return { counts: () => last, stop: () => child.kill('SIGKILL') };
}

beforeAll(async () => {
  // a few apps, so that each metrics answer has a body to speak of
  for (const name of ['a', 'b', 'c', 'd']) await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', name]);
  agentPid = pmx.agentPid()!;
  metricsPort = await freePort();
  await pmx.ok(['metrics', '--port', String(metricsPort)]);
  dashboardPort = await freePort();
  dashboardToken = new URL(/http:\/\/\S+/.exec(await pmx.ok(['dashboard', '--port', String(dashboardPort)]))![0]).search;
}, 60_000);

afterAll(async () => {
  try {
    await pmx.cleanup();
  } finally {
    user.remove();
  }
});

describe('pipelined requests that are never read', () => {
  for (const [surface, port, path] of [['metrics endpoint', () => metricsPort, () => '/metrics'], ['dashboard', () => dashboardPort, () => `/api/processes${dashboardToken}`]] as const) {
    it(`on the ${surface}: each connection is closed past its request limit, the agent answers the CLI, and its memory stays bounded`, async () => {
      const attack = flood(port(), path());
      onTestFinished(attack.stop);
      let peak = 0;
      // every connection the flood opened is closed by the agent (unbounded, they were held with their answers)
      await eventually('every flood connection closed by the agent', () => {
        peak = Math.max(peak, rssOf(agentPid));
        const { opened, closed } = attack.counts();
        return opened === CONNECTIONS && closed === CONNECTIONS;
      }, 30_000);
      const listed = await pmx.run(['jlist']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(peak).toBeLessThan(RSS_BOUND);
      expect((await get(metricsPort, '/metrics')).status).toBe(200);
    }, 60_000);
  }
});
