// The static server's request handler: method and basic-auth checks, the path under the root,
// the SPA fallback and 404 page, then one file with its caching headers, 304 or 206.
import { close, createReadStream, read } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ServeOptions } from './options.js';
import { contentType } from './content-types.js';
import { RootResolver, decodeUrlPath, type Resolution } from './resolve-path.js';
import { etagOf, notModified, requestedRange } from './conditional.js';

/** Files up to this size are read in one go; bigger ones are streamed. */
const READ_WHOLE_MAX = 64 * 1024;

const readFd = promisify(read);

type OpenFile = Extract<Resolution, { kind: 'file' }>;

/** The handler for one served root. */
export function staticHandler(options: ServeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const resolver = new RootResolver(options.root, (message) => console.error(`pmx serve: ${message}`));
  const authorized = options.basicAuth ? basicAuthCheck(options.basicAuth.username, options.basicAuth.password) : () => true;
  return (req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) plain(res, 500, 'Internal Server Error');
      else res.destroy(error);
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method Not Allowed');
    }
    if (!authorized(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="pmx serve", charset="UTF-8"');
      return plain(res, 401, 'Unauthorized');
    }
    const path = decodeUrlPath(req.url ?? '/');
    if (path === 'malformed') return plain(res, 400, 'Bad Request');
    if (path === 'forbidden') return plain(res, 403, 'Forbidden');
    if (!options.dotfiles && hidden(path)) return plain(res, 404, 'Not Found');
    const found = await resolver.resolve(path === '/' ? options.homepage : path);
    if (found.kind === 'file') return sendFile(req, res, found, 200);
    if (found.kind === 'directory') return redirectToDirectory(res, req.url ?? '/');
    if (found.kind === 'forbidden') return plain(res, 403, 'Forbidden');
    if (options.spa) {
      // PM2's fallbacks: the same file name at the root (`/users/12/main.js` is `/main.js`), then the home page
      if (path !== '/' && path !== options.homepage) {
        const atRoot = await resolver.resolve(`/${basename(path)}`);
        if (atRoot.kind === 'file') return sendFile(req, res, atRoot, 200);
      }
      const home = await resolver.resolve(options.homepage);
      if (home.kind === 'file') return sendFile(req, res, home, 200);
    }
    const page = await resolver.resolve('/404.html');
    if (page.kind === 'file') return sendFile(req, res, page, 404);
    return plain(res, 404, 'Not Found');
  }
}

/**
 * A path with a name that begins with a dot (`/.env`, `/.git/config`): not served unless asked
 * (`--dotfiles`), as sirv and serve-static do, since serving a project's directory would publish
 * its secrets and history. `/.well-known/` (ACME challenges, security.txt) is served.
 */
function hidden(path: string): boolean {
  return path.split(/[/\\]/).some((name, index, names) => name.startsWith('.') && !(name === '.well-known' && index === 1 && names.length > 2));
}

/** Sends an open file and closes it: 304 when the client's copy is current, 206 for a byte range, else `status` with the whole file. */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenFile, status: number): Promise<void> {
  const { fd, path, stats } = file;
  const etag = etagOf(stats);
  const headers: OutgoingHttpHeaders = {
    'Content-Type': contentType(basename(path)),
    'Last-Modified': stats.mtime.toUTCString(),
    ETag: etag,
    'Cache-Control': 'public, max-age=0',
    'Accept-Ranges': 'bytes',
  };
  if (status === 200 && notModified(req.headers, etag, stats)) {
    close(fd, ignore);
    res.writeHead(304, headers).end();
    return;
  }
  const range = status === 200 ? requestedRange(req.headers, stats.size, etag, stats) : ({ kind: 'all' } as const);
  if (range.kind === 'unsatisfiable') {
    close(fd, ignore);
    res.setHeader('Content-Range', `bytes */${stats.size}`);
    return plain(res, 416, 'Range Not Satisfiable');
  }
  const start = range.kind === 'range' ? range.start : 0;
  const length = range.kind === 'range' ? range.end - range.start + 1 : stats.size;
  if (range.kind === 'range') headers['Content-Range'] = `bytes ${range.start}-${range.end}/${stats.size}`;
  headers['Content-Length'] = length;
  res.writeHead(range.kind === 'range' ? 206 : status, headers);
  if (req.method === 'HEAD' || length === 0) {
    close(fd, ignore);
    res.end();
    return;
  }
  if (length <= READ_WHOLE_MAX) {
    const body = Buffer.allocUnsafe(length);
    try {
      const { bytesRead } = await readFd(fd, body, 0, length, start);
      // the file shrank since its size was sent: only closing the connection tells the client its
      // body is short (ended, the client would wait on a kept-alive connection for the bytes promised)
      if (bytesRead < length) res.destroy();
      else res.end(body);
    } finally {
      close(fd, ignore);
    }
    return;
  }
  const stream = createReadStream('', { fd, start, end: start + length - 1, autoClose: true });
  stream.on('error', (error) => res.destroy(error));
  // a client that goes away mid-download: pipe() leaves the file open, one descriptor per abort
  res.once('close', () => stream.destroy());
  // a file that shrank mid-send ends the connection, as above
  stream.once('end', () => (stream.bytesRead < length ? res.destroy() : res.end()));
  stream.pipe(res, { end: false });
}

/**
 * 301 to the directory's URL with its trailing slash, the query kept, as serve-static does. The
 * path is the one the client sent (still percent-encoded), its leading slashes made one, so that
 * `//host/dir` cannot send the browser to another host.
 */
function redirectToDirectory(res: ServerResponse, url: string): void {
  const end = url.search(/[?#]/);
  const [path, query] = end < 0 ? [url, ''] : [url.slice(0, end), url.slice(end)];
  res.setHeader('Location', `/${path.replace(/^[/\\]+/, '')}/${query}`);
  plain(res, 301, 'Moved Permanently');
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** A check of the Authorization header against one user, in constant time for the credentials. */
function basicAuthCheck(username: string, password: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(`${username}:${password}`);
  return (header) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    const given = Buffer.from(match[1]!, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

function ignore(): void {}
