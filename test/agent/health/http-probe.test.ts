// The HTTP probe against real servers on loopback that answer as scripted: what each answer (or
// silence) makes of a probe, when the connection is kept, and that close() ends a probe in flight.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { HttpProbe } from '../../../agent/health/http-probe.js';

/** A server whose every request is answered by `answer` (which may write anything, or nothing). */
interface Scripted {
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  server: Server;
}

const servers: Server[] = [];
const probes: HttpProbe[] = [];
afterEach(async () => {
  for (const probe of probes.splice(0)) probe.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function scripted(answer: (socket: Socket, request: number) => void): Promise<Scripted> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    let requests = 0;
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      while (text.includes('\r\n\r\n')) {
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
        answer(socket, ++requests);
      }
    });
  });
  // connections the server still holds when a test ends go with it
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  const close = server.close.bind(server);
  server.close = (callback) => {
    for (const socket of open) socket.destroy();
    return close(callback);
  };
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/health`, connections: () => connections, server };
}

function probeOf(url: string): HttpProbe {
  const probe = new HttpProbe(url);
  probes.push(probe);
  return probe;
}

const ok = (body = 'ok'): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('an http probe', () => {
  it('passes on 2xx and keeps one connection across probes', async () => {
    const server = await scripted((socket) => socket.write(ok()));
    const probe = probeOf(server.url);
    for (let i = 0; i < 3; i++) expect(await probe.run(1000)).toEqual({ ok: true });
    expect(server.connections()).toBe(1);
  });

  it('fails on 5xx, naming the status, and on an answer that is not HTTP', async () => {
    const failing = await scripted((socket) => socket.write('HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n'));
    expect(await probeOf(failing.url).run(1000)).toEqual({ ok: false, reason: `HTTP 503 from ${failing.url}` });
    const garbage = await scripted((socket) => socket.write('SSH-2.0-OpenSSH\r\n'));
    expect(await probeOf(garbage.url).run(1000)).toEqual({ ok: false, reason: `GET ${garbage.url}: not an HTTP answer` });
  });

  it('fails when the server accepts and never answers, within its timeout, and connects anew for the next probe', async () => {
    let answering = false;
    const server = await scripted((socket) => answering && socket.write(ok()));
    const probe = probeOf(server.url);
    const started = Date.now();
    expect(await probe.run(300)).toEqual({ ok: false, reason: `GET ${server.url}: no answer within 300 ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    answering = true;
    expect(await probe.run(1000)).toEqual({ ok: true });
    expect(server.connections()).toBe(2);
  });

  it('fails when the server closes the connection without an answer, or within one', async () => {
    const silent = await scripted((socket) => socket.end());
    expect(await probeOf(silent.url).run(1000)).toEqual({ ok: false, reason: `GET ${silent.url}: the connection closed without an answer` });
    const cut = await scripted((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-'));
    expect(await probeOf(cut.url).run(1000)).toEqual({ ok: false, reason: `GET ${cut.url}: the connection closed within an answer` });
  });

  it('asks again on a new connection when the kept one was closed by the server between probes', async () => {
    const server = await scripted((socket, request) => {
      socket.write(ok());
      if (request === 1) socket.end();
    });
    const probe = probeOf(server.url);
    expect(await probe.run(1000)).toEqual({ ok: true });
    expect(await probe.run(1000)).toEqual({ ok: true });
    expect(server.connections()).toBe(2);
  });

  it('does not keep a connection whose answer has no length or says close, nor one that sent more than it said', async () => {
    const closing = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
    const longer = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok, and more'));
    for (const server of [closing, longer]) {
      const probe = probeOf(server.url);
      expect(await probe.run(1000)).toEqual({ ok: true });
      expect(await probe.run(1000)).toEqual({ ok: true });
      expect(server.connections()).toBe(2);
    }
  });

  it('reads an interim answer and then the real one', async () => {
    const server = await scripted((socket) => socket.write(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok()}`));
    expect(await probeOf(server.url).run(1000)).toEqual({ ok: true });
  });

  it('ends the probe in flight when closed, and probes no more', async () => {
    const server = await scripted(() => undefined);
    const probe = probeOf(server.url);
    const running = probe.run(5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    probe.close();
    expect(await running).toEqual({ ok: false, reason: `GET ${server.url}: stopped with the app` });
    expect(await probe.run(5000)).toEqual({ ok: false, reason: `GET ${server.url}: stopped with the app` });
  });

  it('fails with the connection error when nothing listens', async () => {
    const server = await scripted(() => undefined);
    const { url } = server;
    await new Promise((resolve) => server.server.close(resolve));
    servers.splice(servers.indexOf(server.server), 1);
    const result = await probeOf(url).run(1000);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/ECONNREFUSED/);
  });
});
