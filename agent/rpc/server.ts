// The agent's Unix-socket server: reads requests, runs their handler, writes one response each.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync } from 'node:fs';
import type { Method, Request, Response } from '../protocol/types.js';
import { readMessages, writeMessage } from '../protocol/framing.js';
import { AgentFault } from '../fault.js';
import { handlers, type AgentContext } from './handlers.js';

/** Listens on `socketPath` (mode 0600); `afterKill` runs once the reply to `kill` is written. */
export function listen(socketPath: string, ctx: AgentContext, afterKill: () => void): Promise<Server> {
  const server = createServer((socket) => serve(socket, ctx, afterKill));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // the socket is created with the umask in force: make it private from the first instant
    const umask = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(umask);
      chmodSync(socketPath, 0o600);
      server.off('error', reject);
      resolve(server);
    });
  });
}

function serve(socket: Socket, ctx: AgentContext, afterKill: () => void): void {
  socket.on('error', () => socket.destroy());
  readMessages(
    socket,
    (message) => {
      const request = message as Request;
      void answer(request, ctx).then((response) => {
        if (request.method === 'kill' && response.ok) socket.end(JSON.stringify(response) + '\n', afterKill);
        else writeMessage(socket, response);
      });
    },
    (error) => writeMessage(socket, { id: -1, ok: false, error: { code: 'INVALID_REQUEST', message: error.message } }),
  );
}

async function answer(request: Request, ctx: AgentContext): Promise<Response> {
  const id = typeof request?.id === 'number' ? request.id : -1;
  const handler = handlers[request?.method as Method] as ((params: unknown, ctx: AgentContext) => unknown) | undefined;
  if (!handler) {
    return { id, ok: false, error: { code: 'INVALID_REQUEST', message: `unknown method '${String(request?.method)}'` } };
  }
  try {
    return { id, ok: true, result: await handler(request.params ?? {}, ctx) };
  } catch (error) {
    if (error instanceof AgentFault) return { id, ok: false, error: error.toWire() };
    ctx.log(`internal error in ${request.method}: ${(error as Error).stack ?? String(error)}`);
    return { id, ok: false, error: { code: 'INTERNAL', message: (error as Error).message } };
  }
}
