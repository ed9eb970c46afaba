// A request whose agent dies before it read it: the kernel resets the connection (ECONNRESET), not
// closes it, and the command must still treat it as "sent, maybe carried out in part" (unanswered.ts
// then says what the next agent runs), not as a connection that never worked.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConnection } from '../../../cli/client/connection.js';
import { unanswered } from '../../../cli/commands/unanswered.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-reset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a request reset by its agent before it was read', () => {
  it('fails as unanswered, like a closed connection', async () => {
    const path = join(dir, 'agent.sock');
    let peer!: Socket;
    const accepted = new Promise<void>((resolve) => {
      // the agent stands still (it reads nothing), as one does between a SIGSTOP and a SIGKILL
      const server = createServer({ pauseOnConnect: true }, (socket) => {
        peer = socket;
        server.close();
        resolve();
      }).listen(path);
    });
    const connection = await AgentConnection.open(path, 5_000);
    await accepted;
    const answer = connection.call('stop', { selector: { kind: 'all' } });
    // its request is in the agent's socket, unread, when the agent goes
    await new Promise((resolve) => setImmediate(resolve));
    peer.destroy();
    const error = await answer.catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'AGENT_UNREACHABLE' });
    expect(unanswered(error)).toBe(true);
    connection.close();
  });
});
