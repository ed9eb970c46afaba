// The socket an app with `notify` (or `watchdog`) gets as NOTIFY_SOCKET: one AF_UNIX datagram
// socket per child, so that whoever sends on it speaks for that child (a datagram does not say
// which pid sent it). It lives in a 0700 directory of the agent's home, is 0600 itself, and is
// removed when the child is gone. Node has no such socket: the native package node-unix-socket
// is loaded on first use, so that only agents with such an app pay for it.
import { chmodSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { parseNotify, type NotifyMessage } from './notify-message.js';

/** sun_path holds 108 bytes, the final NUL included. */
export const MAX_SOCKET_PATH = 107;

/** The package's socket, as far as pmx uses it. */
interface DgramSocket {
  on(event: 'data', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  bind(path: string): void;
  close(): void;
}

/** An open notify socket: emits 'message' (NotifyMessage) for each datagram read. */
export interface NotifySocket extends EventEmitter {
  readonly path: string;
  close(): void;
}

/** The package's name in a variable: the agent bundle leaves it to the host's node_modules. */
const PACKAGE = 'node-unix-socket';

let loaded: (new () => DgramSocket) | null = null;

function dgramSocket(): new () => DgramSocket {
  if (loaded) return loaded;
  try {
    loaded = (createRequire(import.meta.url)(PACKAGE) as { DgramSocket: new () => DgramSocket }).DgramSocket;
  } catch (error) {
    throw new Error(`the notify socket needs the package ${PACKAGE}, which cannot be loaded here (${(error as Error).message.split('\n')[0]})`);
  }
  return loaded;
}

/** Binds a notify socket at `path` (a stale file of a dead agent replaced); throws with the reason when it cannot. `onClose` runs once, when it is closed. */
export function openNotifySocket(path: string, onError: (error: Error) => void, onClose?: () => void): NotifySocket {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH) throw new Error(`its notify socket path ${path} is ${bytes} bytes, more than a Unix socket path may hold (${MAX_SOCKET_PATH}): use a shorter PMX_HOME`);
  const Socket = dgramSocket();
  removeFile(path);
  const socket = new Socket();
  const opened = new EventEmitter() as NotifySocket;
  // reading a datagram closes the fds it carried: systemd-notify's BARRIER=1 completes then
  socket.on('data', (data) => opened.emit('message', parseNotify(data.toString('utf8')) satisfies NotifyMessage));
  socket.on('error', onError);
  try {
    socket.bind(path);
    chmodSync(path, 0o600);
  } catch (error) {
    socket.close();
    removeFile(path);
    throw error;
  }
  let open = true;
  return Object.assign(opened, {
    path,
    close() {
      if (!open) return;
      open = false;
      socket.close();
      removeFile(path);
      opened.removeAllListeners();
      onClose?.();
    },
  });
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}
