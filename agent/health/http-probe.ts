// The HTTP probe of one child: a GET written on a plain socket (TLS for https), answered 2xx or 3xx,
// its URL parsed once. What it cost the agent to probe 50 apps a second was mostly the kernel's
// and the event loop's, not the HTTP: a connection per probe (connect, accept, close), and one
// wake-up of the agent per answer. So the connection is kept between probes while the answers allow
// it (HTTP/1.1, a Content-Length, no `Connection: close`), and a plain socket is not read until
// COLLECT_MS after its request: the probes of all apps go out together (on the wall clock's
// multiples of their interval) and their answers, waiting in the kernel, are read in one wake-up.
// Kept or not, each probe must be answered within its timeout: a server that stops answering fails
// it, its connection is destroyed, and the next probe connects anew, so a server that accepts and
// never answers is still found.
//
// A probe allocates little: the connection's listeners and the timeout's timer are made once and
// reused by every probe on them (a probe that allocated a promise chain, closures, two timers and an
// abort listener each time cost the agent twice the CPU), and the sockets waiting to be read share
// one timer. The probe in flight ends with close(), as the child's health check stops.
import { connect, isIP, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { redactUrl } from '../protocol/app-spec.js';
import { failed, passed, type ProbeResult } from './probe-result.js';

/** A head longer than this is not an HTTP answer the probe reads. */
const MAX_HEAD = 16 * 1024;
/** How long after its request a plain socket is first read (a probe whose timeout is under twice this is read at once). */
const COLLECT_MS = 50;

/** The probe in flight. */
interface Pending {
  socket: Socket;
  /** Sent on a kept connection: lost before any byte of an answer, it is asked again on a new one. */
  reused: boolean;
  head: string;
  timeoutMs: number;
  resolve: (outcome: ProbeResult | typeof RETRY) => void;
}

/** Probes one URL, again and again, over one connection when it can. */
export class HttpProbe {
  private readonly secure: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly request: Buffer;
  private readonly shown: string;
  /** Where a plain socket's bytes land, read synchronously from it: one per probe, reused. */
  private readonly buffer = Buffer.allocUnsafe(4096);
  /** The connection, open or opening; between probes, what is left of the last answer's body on it. */
  private socket: Socket | null = null;
  private bodyLeft = 0;
  private pending: Pending | null = null;
  /** The timeout of the probe in flight: one timer, re-armed by each probe and left to fire idle after it. */
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private closed = false;

  constructor(url: string) {
    const target = new URL(url);
    this.secure = target.protocol === 'https:';
    this.host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(target.port) || (this.secure ? 443 : 80);
    // user:password in the URL is sent as Basic authorization, and never shown
    this.shown = redactUrl(url);
    const authorization = target.username || target.password ? `Authorization: Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}\r\n` : '';
    this.request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: pmx-health\r\n${authorization}\r\n`, 'latin1');
  }

  /** One probe; never rejects. */
  async run(timeoutMs: number): Promise<ProbeResult> {
    if (this.closed) return failed(`GET ${this.shown}: stopped with the app`);
    const deadline = Date.now() + timeoutMs;
    const kept = this.take();
    if (kept) {
      const outcome = await this.exchange(kept, true, timeoutMs, timeoutMs);
      // a kept connection the server closed as the request went out (its idle timeout) is no verdict on the app
      if (outcome !== RETRY) return outcome;
      if (this.closed) return failed(`GET ${this.shown}: stopped with the app`);
    }
    return (await this.exchange(this.open(), false, timeoutMs, Math.max(0, deadline - Date.now()))) as ProbeResult;
  }

  /** Ends the probe in flight and closes the connection; no probe after this. */
  close(): void {
    this.closed = true;
    this.settle(failed(`GET ${this.shown}: stopped with the app`));
    this.drop();
    if (this.timer) clearTimeout(this.timer);
  }

  /** The kept connection, if it is ready for a request. */
  private take(): Socket | null {
    const socket = this.socket;
    if (socket && this.bodyLeft === 0 && !socket.destroyed && socket.readyState === 'open') return socket;
    this.drop();
    return null;
  }

  private open(): Socket {
    const { host, port } = this;
    let socket: Socket;
    if (this.secure) {
      socket = tls().connect({ host, port, ...(isIP(host) ? {} : { servername: host }) });
      socket.on('data', (chunk: Buffer) => {
        if (socket === this.socket) this.received(chunk.toString('latin1'));
      });
    } else {
      // bytes read straight into this probe's buffer: no stream, no Buffer per read, and a pause that stops reading
      socket = connect({
        host,
        port,
        onread: {
          buffer: this.buffer,
          callback: (bytes) => {
            if (socket === this.socket) this.received(this.buffer.toString('latin1', 0, bytes));
            return true;
          },
        },
      });
    }
    // once per connection, not per probe; a socket no longer this probe's is nobody's concern
    socket.on('end', () => this.lost(socket, null));
    socket.on('close', () => this.lost(socket, null));
    socket.on('error', (error: Error) => this.lost(socket, error.message));
    this.socket = socket;
    this.bodyLeft = 0;
    return socket;
  }

  /** Sends the request on `socket`, its answer due within `waitMs`. */
  private exchange(socket: Socket, reused: boolean, timeoutMs: number, waitMs: number): Promise<ProbeResult | typeof RETRY> {
    return new Promise((resolve) => {
      this.pending = { socket, reused, head: '', timeoutMs, resolve };
      this.arm(waitMs);
      socket.ref();
      // the answer waits in the kernel until the answers of the other probes sent with it are read too
      if (!this.secure && waitMs >= 2 * COLLECT_MS) {
        socket.pause();
        readLater(socket);
      } else {
        socket.resume();
      }
      if (socket.connecting) socket.once(this.secure ? 'secureConnect' : 'connect', () => void socket.write(this.request));
      else socket.write(this.request);
    });
  }

  private arm(waitMs: number): void {
    if (this.timer && this.timerMs === waitMs) {
      this.timer.refresh();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = waitMs;
    this.timer = setTimeout(() => {
      const pending = this.pending;
      if (pending) this.settle(failed(`GET ${this.shown}: no answer within ${pending.timeoutMs} ms`));
    }, waitMs);
    this.timer.unref();
  }

  /** Bytes from the current connection. */
  private received(text: string): void {
    const pending = this.pending;
    if (!pending) {
      // between probes: the rest of the last answer's body; more than it said could not be told from the next answer
      this.bodyLeft -= text.length;
      if (this.bodyLeft < 0) this.drop();
      return;
    }
    pending.head += text;
    for (;;) {
      const { head } = pending;
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        const lineEnded = head.includes('\r\n') || head.length > MAX_HEAD;
        if (lineEnded && !STATUS_LINE.test(head)) this.settle(failed(`GET ${this.shown}: not an HTTP answer`));
        else if (head.length > MAX_HEAD) this.settle(failed(`GET ${this.shown}: an answer whose head is longer than ${MAX_HEAD} bytes`));
        return;
      }
      const answer = readHead(head.slice(0, end));
      if (!answer) return this.settle(failed(`GET ${this.shown}: not an HTTP answer`));
      // an interim answer (103 Early Hints) is followed by the real one
      if (answer.status < 200) {
        pending.head = head.slice(end + 4);
        continue;
      }
      const result = answer.status < 400 ? passed : failed(`HTTP ${answer.status} from ${this.shown}`);
      if (answer.bodyLength === null) return this.settle(result);
      this.bodyLeft = answer.bodyLength - (head.length - end - 4);
      // held idle until the next probe (which fails over to a new connection if the server closes it meanwhile)
      this.settle(result, true);
      if (this.bodyLeft < 0) this.drop();
      else pending.socket.unref();
      return;
    }
  }

  /** The connection `socket` failed (`error`) or closed (null). */
  private lost(socket: Socket, error: string | null): void {
    if (socket !== this.socket) return;
    const pending = this.pending;
    if (pending) {
      const inAnswer = pending.head !== '';
      const reason = error ?? (inAnswer ? 'the connection closed within an answer' : 'the connection closed without an answer');
      this.settle(pending.reused && !inAnswer ? RETRY : failed(`GET ${this.shown}: ${reason}`));
    }
    this.drop();
  }

  /** Ends the probe in flight with `outcome`; its connection goes unless `keep`. */
  private settle(outcome: ProbeResult | typeof RETRY, keep = false): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    if (!keep) this.drop();
    pending.resolve(outcome);
  }

  private drop(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.bodyLeft = 0;
    socket.destroy();
  }
}

/** A kept connection lost before any byte of an answer: try again on a new one. */
const RETRY = Symbol('retry');

/** Plain sockets whose answers are read together, COLLECT_MS after the first of them was asked. */
let toRead: Socket[] = [];
function readLater(socket: Socket): void {
  if (toRead.push(socket) > 1) return;
  setTimeout(() => {
    const sockets = toRead;
    toRead = [];
    for (const waiting of sockets) if (!waiting.destroyed) waiting.resume();
  }, COLLECT_MS).unref();
}

/** The start of an HTTP answer: its version and status. */
const STATUS_LINE = /^HTTP\/(\d(?:\.\d)?) (\d{3})/;

/** An answer's status, and its body's length when the connection can carry the next request after it. */
function readHead(head: string): { status: number; bodyLength: number | null } | null {
  const line = STATUS_LINE.exec(head);
  if (!line) return null;
  const status = Number(line[2]);
  if (line[1] !== '1.1' || /\r\nconnection:[^\r]*\bclose\b/i.test(head) || /\r\ntransfer-encoding:/i.test(head)) return { status, bodyLength: null };
  if (status === 204 || status === 304) return { status, bodyLength: 0 };
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(head)?.[1];
  return { status, bodyLength: length === undefined ? null : Number(length) };
}

/** node:tls (and with it OpenSSL's state, a megabyte or more of the agent's RSS), loaded by the first https probe. */
let tlsModule: typeof import('node:tls') | null = null;
const tls = (): typeof import('node:tls') => (tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof import('node:tls'));
