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
import { connect, isIP, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { redactUrl } from '../protocol/app-spec.js';
import { failed, passed, type ProbeResult } from './probe-result.js';

/** A head longer than this is not an HTTP answer the probe reads. */
const MAX_HEAD = 16 * 1024;
/** How long after its request a plain socket is first read (at most half the timeout). */
const COLLECT_MS = 50;

/** Reads what arrives on one socket, as latin1 text (one character per byte). */
interface Reader {
  socket: Socket;
  read(text: string): void;
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
  private reader: Reader | null = null;
  /** The connection between probes, and what is left of the last answer's body on it. */
  private kept: { socket: Socket; bodyLeft: number } | null = null;

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
  async run(timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
    const deadline = Date.now() + timeoutMs;
    const kept = this.take();
    if (kept) {
      const outcome = await this.exchange(kept, true, timeoutMs, deadline, signal);
      // a kept connection the server closed as the request went out (its idle timeout) is no verdict on the app
      if (outcome !== RETRY) return outcome;
    }
    return (await this.exchange(this.open(), false, timeoutMs, deadline, signal)) as ProbeResult;
  }

  /** Closes the kept connection. */
  close(): void {
    this.kept?.socket.destroy();
    this.kept = null;
    this.reader = null;
  }

  /** The kept connection, if it is ready for a request. */
  private take(): Socket | null {
    const kept = this.kept;
    this.kept = null;
    this.reader = null;
    if (!kept) return null;
    kept.socket.off('end', dropKept).off('error', dropKept);
    if (kept.bodyLeft === 0 && !kept.socket.destroyed && kept.socket.readyState === 'open') return kept.socket;
    kept.socket.destroy();
    return null;
  }

  private open(): Socket {
    const { host, port } = this;
    if (this.secure) {
      const socket = tls().connect({ host, port, ...(isIP(host) ? {} : { servername: host }) });
      socket.on('data', (chunk: Buffer) => this.received(socket, chunk.toString('latin1')));
      return socket;
    }
    // bytes read straight into this probe's buffer: no stream, no Buffer per read, and a pause that stops reading
    const socket: Socket = connect({
      host,
      port,
      onread: {
        buffer: this.buffer,
        callback: (bytes) => {
          this.received(socket, this.buffer.toString('latin1', 0, bytes));
          return true;
        },
      },
    });
    return socket;
  }

  private received(socket: Socket, text: string): void {
    if (this.reader?.socket === socket) this.reader.read(text);
  }

  /**
   * Sends the request on `socket` and reads the answer's head; keeps the socket when the answer
   * allows. A `reused` socket lost before any byte of an answer asks for a retry on a new one.
   */
  private exchange(socket: Socket, reused: boolean, timeoutMs: number, deadline: number, signal: AbortSignal): Promise<ProbeResult | typeof RETRY> {
    return new Promise((resolve) => {
      const { shown } = this;
      let head = '';
      let settled = false;
      const settle = (outcome: ProbeResult | typeof RETRY, keep = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(collect);
        signal.removeEventListener('abort', onAbort);
        socket.off('end', onEnd).off('error', onError).off('close', onClose);
        if (!keep) {
          if (this.reader?.socket === socket) this.reader = null;
          // a later error of the destroyed socket has nobody to tell
          socket.on('error', dropKept).destroy();
        }
        resolve(outcome);
      };
      const lost = (reason: string): void => settle(reused && head === '' ? RETRY : failed(`GET ${shown}: ${reason}`));
      const timer = setTimeout(() => settle(failed(`GET ${shown}: no answer within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
      const onAbort = (): void => settle(failed(`GET ${shown}: stopped with the app`));
      signal.addEventListener('abort', onAbort, { once: true });
      const read = (text: string): void => {
        if (settled) return;
        head += text;
        for (;;) {
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) {
            const lineEnded = head.includes('\r\n') || head.length > MAX_HEAD;
            if (lineEnded && !STATUS_LINE.test(head)) settle(failed(`GET ${shown}: not an HTTP answer`));
            else if (head.length > MAX_HEAD) settle(failed(`GET ${shown}: an answer whose head is longer than ${MAX_HEAD} bytes`));
            return;
          }
          const answer = readHead(head.slice(0, end));
          if (!answer) return settle(failed(`GET ${shown}: not an HTTP answer`));
          // an interim answer (103 Early Hints) is followed by the real one
          if (answer.status < 200) {
            head = head.slice(end + 4);
            continue;
          }
          const result = answer.status < 400 ? passed : failed(`HTTP ${answer.status} from ${shown}`);
          if (answer.bodyLength === null) return settle(result);
          settle(result, true);
          return this.keep(socket, answer.bodyLength - (head.length - end - 4));
        }
      };
      const onEnd = (): void => lost(head === '' ? 'the connection closed without an answer' : 'the connection closed within an answer');
      const onError = (error: Error): void => lost(error.message);
      const onClose = (): void => lost('the connection closed without an answer');
      this.reader = { socket, read };
      socket.on('end', onEnd).on('error', onError).on('close', onClose);
      socket.ref();
      // the answer waits in the kernel until the answers of the other probes sent with it are read too
      const collect = this.secure ? undefined : setTimeout(() => socket.resume(), Math.min(COLLECT_MS, timeoutMs / 2));
      if (!this.secure) socket.pause();
      if (socket.connecting) socket.once(this.secure ? 'secureConnect' : 'connect', () => void socket.write(this.request));
      else socket.write(this.request);
    });
  }

  /** Holds `socket` idle until the next probe, reading the rest of the last body; the server may close it meanwhile. */
  private keep(socket: Socket, bodyLeft: number): void {
    // more than the answer said: the next answer could not be told from it
    if (bodyLeft < 0) return void socket.on('error', dropKept).destroy();
    const kept = { socket, bodyLeft };
    this.kept = kept;
    this.reader = {
      socket,
      read: (text) => {
        kept.bodyLeft -= text.length;
        if (kept.bodyLeft < 0) socket.destroy();
      },
    };
    socket.unref();
    socket.on('end', dropKept).on('error', dropKept);
  }
}

/** Ends a socket nobody waits on (`this` is the socket). */
function dropKept(this: Socket): void {
  this.destroy();
}

/** A kept connection lost before any byte of an answer: try again on a new one. */
const RETRY = Symbol('retry');

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
