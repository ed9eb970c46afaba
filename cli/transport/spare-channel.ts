// A session channel opened before its command is known. A command on a fresh channel costs two
// round trips before it runs: the channel open, then the exec request, which needs the channel id
// the server's confirmation carries. On a channel opened ahead it costs one. ssh2 has no public
// call for either half alone; these use the two internals its own Client.exec() is made of (ssh2
// 1.x lib/client.js: openChannel, reqExec), and give up (null) when they are not there.
import type { Client, ClientChannel } from 'ssh2';

/** ssh2's window and packet size for a channel it opens (lib/Channel.js). */
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

type OpenCallback = ((error: Error | undefined, channel?: ClientChannel) => void) & { type?: string };

interface ClientInternals {
  _chanMgr?: { add(callback: OpenCallback): number };
  _protocol?: { session(id: number, window: number, packetSize: number): void; exec(id: number, command: string, wantReply: boolean): void };
}

interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _callbacks?: ((failed: boolean | Error) => void)[];
  subtype?: string;
  allowHalfOpen?: boolean;
}

/** Opens a session channel with no request on it yet; null when the server refuses it or ssh2 lacks the internals. */
export function openSpareChannel(client: Client): Promise<ClientChannel | null> {
  const inner = client as unknown as ClientInternals;
  if (typeof inner._chanMgr?.add !== 'function' || typeof inner._protocol?.session !== 'function') return Promise.resolve(null);
  return new Promise((resolve) => {
    const opened: OpenCallback = (error, channel) => resolve(error || !channel ? null : channel);
    opened.type = 'session';
    try {
      const id = inner._chanMgr!.add(opened);
      if (id === -1) return resolve(null);
      inner._protocol!.session(id, MAX_WINDOW, PACKET_SIZE);
    } catch {
      resolve(null); // the connection is going away
    }
  });
}

/** True while a spare channel can still take a command. */
export function isOpen(channel: ClientChannel): boolean {
  const inner = channel as unknown as ChannelInternals;
  return inner.outgoing?.state === 'open' && Array.isArray(inner._callbacks);
}

/** Sends the exec request on a spare channel; `callback` as Client.exec's. */
export function execOnSpare(client: Client, channel: ClientChannel, command: string, callback: (error: Error | undefined, channel?: ClientChannel) => void): void {
  const inner = channel as unknown as ChannelInternals;
  inner._callbacks!.push((failed) => {
    if (failed) {
      channel.close();
      return callback(failed instanceof Error ? failed : new Error('Unable to exec'));
    }
    inner.subtype = 'exec';
    inner.allowHalfOpen = true;
    callback(undefined, channel);
  });
  (client as unknown as ClientInternals)._protocol!.exec(inner.outgoing!.id, command, true);
}
