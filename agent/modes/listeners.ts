// Listening sockets the agent opens for apps with `listen` (socket activation): opened once per
// app, shared by its instances and their replacements, closed when the app is deleted.
import { fork } from 'node:child_process';
import { AgentFault } from '../fault.js';

/** A raw listening TCP handle received from the listen helper. */
interface RawHandle {
  fd: number;
  close(): void;
}

const HELPER = new URL('./listen-helper.js', import.meta.url);

/** `3000`, `127.0.0.1:3000`, `[::1]:3000` -> host and port. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(address.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new AgentFault(`listen: '${address}' is not a port or [host:]port`, { code: 'INVALID_REQUEST', data: { address } });
  }
  return { host: match[1] ?? match[2] ?? '0.0.0.0', port };
}

/** The agent's listening sockets, by app name. */
export class Listeners {
  private readonly open = new Map<string, { key: string; handles: RawHandle[] }>();

  /** The fds to pass to `app`'s instances, opening its sockets on first use. */
  async acquire(app: string, addresses: string[]): Promise<number[]> {
    const key = addresses.join(' ');
    const existing = this.open.get(app);
    if (existing?.key === key) return existing.handles.map((handle) => handle.fd);
    if (existing) this.release(app);
    const handles = await openHandles(addresses.map(parseListenAddress), app);
    this.open.set(app, { key, handles });
    return handles.map((handle) => handle.fd);
  }

  /** Closes `app`'s sockets (its last instance was deleted). */
  release(app: string): void {
    for (const handle of this.open.get(app)?.handles ?? []) handle.close();
    this.open.delete(app);
  }
}

function openHandles(addresses: { host: string; port: number }[], app: string): Promise<RawHandle[]> {
  return new Promise((resolve, reject) => {
    const handles: RawHandle[] = [];
    const helper = fork(HELPER, [JSON.stringify(addresses)], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    helper.on('message', (message: { index?: number; error?: string }, handle: unknown) => {
      if (message.error) reject(new AgentFault(`${app}: ${message.error}`, { code: 'INVALID_REQUEST', app, data: { app } }));
      else if (message.index !== undefined) handles[message.index] = handle as RawHandle;
    });
    helper.once('exit', (code) => {
      if (code === 0 && handles.length === addresses.length) resolve(handles);
      else {
        for (const handle of handles) handle?.close();
        reject(new AgentFault(`${app}: could not open its listening sockets`, { code: 'INVALID_REQUEST', app, data: { app } }));
      }
    });
  });
}
