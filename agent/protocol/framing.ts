// Newline-delimited JSON framing for the agent socket: one message per line, both directions.
import type { Socket } from 'node:net';

/** Largest line accepted, so a broken peer cannot make the agent buffer without bound. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Calls `onMessage` with each parsed JSON line received on `socket`. */
export function readMessages(socket: Socket, onMessage: (message: unknown) => void, onBadLine: (error: Error) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.length > 0) {
        try {
          onMessage(JSON.parse(line));
        } catch (error) {
          onBadLine(error as Error);
        }
      }
      newline = buffered.indexOf('\n');
    }
    if (buffered.length > MAX_LINE_BYTES) {
      buffered = '';
      onBadLine(new Error(`message longer than ${MAX_LINE_BYTES} bytes`));
    }
  });
}

/** Writes one message as a JSON line; false when the socket is no longer writable. */
export function writeMessage(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(JSON.stringify(message) + '\n');
  return true;
}
