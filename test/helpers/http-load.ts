// HTTP on loopback for the tests of apps that serve: one GET answered with a JSON reply, and
// clients requesting in a loop while something happens (a reload), counting every failure.
import { Agent, request } from 'node:http';

/** What the test servers (fixtures/apps) answer: who answered, and with what greeting. */
export interface Reply {
  pid: number;
  instance?: string;
  greeting: string | null;
  [key: string]: unknown;
}

/** One GET of `/` on 127.0.0.1:port; rejects on a status other than 200, an error or 5 s of silence. */
export function getReply(port: number, agent = new Agent({ keepAlive: false })): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, agent, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as Reply) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** `connections` clients (kept alive unless said otherwise) requesting in a loop until `stop` resolves; what they got. */
export async function loadUntil(port: number, connections: number, stop: Promise<unknown>, { keepAlive = true } = {}) {
  const agent = new Agent({ keepAlive, maxSockets: connections });
  const failures: string[] = [];
  const pids = new Set<number>();
  let answered = 0;
  let done = false;
  void stop.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!done) {
        try {
          pids.add((await getReply(port, agent)).pid);
          answered++;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }),
  );
  agent.destroy();
  return { answered, failures, pids };
}
