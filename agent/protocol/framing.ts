// Newline-delimited JSON framing for the agent socket: one message per line, both directions.
// Lines are found in each chunk as it arrives and joined once, so reading is linear in the bytes.
import type { Socket } from 'node:net';
import { PmxError, type PmxErrorOptions } from './errors.js';

/** Largest request line the agent reads; a longer one is refused (MESSAGE_TOO_LARGE) and its connection closed. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** Largest reply line the CLI reads (a jlist of many processes is large, but never this large). */
export const MAX_REPLY_BYTES = 512 * 1024 * 1024;

const NEWLINE = 0x0a;

/** A line that is not JSON, or (`tooLong`) one past the limit, after which nothing more is read. */
export class FramingError extends PmxError<'NOT_JSON' | 'MESSAGE_TOO_LARGE'> {
  constructor(message: string, options: PmxErrorOptions<'NOT_JSON' | 'MESSAGE_TOO_LARGE'>) {
    super(message, options);
    this.name = 'FramingError';
  }

  get tooLong(): boolean {
    return this.code === 'MESSAGE_TOO_LARGE';
  }
}

/** Calls `onMessage` with each parsed JSON line received on `socket`, `onBadLine` with each bad one. */
export function readMessages(socket: Socket, onMessage: (message: unknown) => void, onBadLine: (error: FramingError) => void, maxBytes = MAX_REPLY_BYTES): void {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    held = [];
    onBadLine(new FramingError(`message longer than ${maxBytes} bytes (the limit of one message)`, { code: 'MESSAGE_TOO_LARGE' }));
  };
  socket.on('data', (chunk: Buffer) => {
    if (stopped) return;
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      const end = chunk.subarray(start, newline);
      start = newline + 1;
      if (heldBytes + end.length > maxBytes) return stop();
      const line = held.length === 0 ? end : Buffer.concat([...held, end], heldBytes + end.length);
      held = [];
      heldBytes = 0;
      if (line.length > 0) parseLine(line, onMessage, onBadLine);
      if (stopped || socket.destroyed) return;
    }
    if (start === chunk.length) return;
    heldBytes += chunk.length - start;
    if (heldBytes > maxBytes) return stop();
    held.push(chunk.subarray(start));
  });
}

function parseLine(line: Buffer, onMessage: (message: unknown) => void, onBadLine: (error: FramingError) => void): void {
  let message: unknown;
  try {
    message = JSON.parse(line.toString('utf8'));
  } catch (error) {
    onBadLine(new FramingError(`not a JSON line: ${(error as Error).message}`, { code: 'NOT_JSON', cause: error }));
    return;
  }
  onMessage(message);
}

/**
 * A value already serialized: a list of 1,000 processes is written from text made piece by piece
 * (each app's spec serialized once) instead of 1,000 objects built, stringified and collected for
 * each `ls`. Serialized anywhere else, it turns back into its value.
 */
export class RawJson<T = unknown> {
  /** The type it stands for, for the type checker only. */
  declare readonly value: T;
  constructor(readonly text: string) {}
  toJSON(): T {
    return JSON.parse(this.text) as T;
  }
}

/** Writes one message as a JSON line; false when the socket is no longer writable. */
export function writeMessage(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(serialize(message) + '\n');
  return true;
}

function serialize(message: unknown): string {
  const result = (message as { result?: unknown } | null)?.result;
  if (!(result instanceof RawJson)) return JSON.stringify(message);
  const rest = JSON.stringify({ ...(message as object), result: null });
  return `${rest.slice(0, -'null}'.length)}${result.text}}`;
}
