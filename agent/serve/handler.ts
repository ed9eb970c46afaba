// The static server's request handler: method and basic-auth checks, the path under the root,
// the SPA fallback and 404 page, then one file with its caching headers, 304 or 206.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { basename } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Stats } from 'node:fs';
import type { ServeOptions } from './options.js';
import { contentType } from './content-types.js';
import { RootResolver, decodeUrlPath } from './resolve-path.js';
import { etagOf, notModified, requestedRange } from './conditional.js';

/** Files up to this size are read in one go; bigger ones are streamed. */
const READ_WHOLE_MAX = 64 * 1024;

/** The handler for one served root. */
export function staticHandler(options: ServeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const resolver = new RootResolver(options.root);
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
    const found = await resolver.resolve(path === '/' ? options.homepage : path);
    if (found.kind === 'file') return sendFile(req, res, found.path, found.stats, 200);
    if (found.kind === 'forbidden') return plain(res, 403, 'Forbidden');
    if (found.kind === 'malformed') return plain(res, 400, 'Bad Request');
    if (options.spa) {
      const home = await resolver.resolve(options.homepage);
      if (home.kind === 'file') return sendFile(req, res, home.path, home.stats, 200);
    }
    const page = await resolver.resolve('/404.html');
    if (page.kind === 'file') return sendFile(req, res, page.path, page.stats, 404);
    return plain(res, 404, 'Not Found');
  }
}

/** Sends a file: 304 when the client's copy is current, 206 for a byte range, else `status` with the whole file. */
async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, stats: Stats, status: number): Promise<void> {
  const etag = etagOf(stats);
  res.setHeader('Content-Type', contentType(basename(path)));
  res.setHeader('Last-Modified', stats.mtime.toUTCString());
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'public, max-age=0');
  res.setHeader('Accept-Ranges', 'bytes');
  if (status === 200 && notModified(req.headers, etag, stats)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const range = status === 200 ? requestedRange(req.headers, stats.size, etag, stats) : { kind: 'all' as const };
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${stats.size}`);
    return plain(res, 416, 'Range Not Satisfiable');
  }
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : stats.size - 1;
  res.statusCode = range.kind === 'range' ? 206 : status;
  if (range.kind === 'range') res.setHeader('Content-Range', `bytes ${start}-${end}/${stats.size}`);
  res.setHeader('Content-Length', Math.max(0, end - start + 1));
  if (req.method === 'HEAD' || stats.size === 0) {
    res.end();
    return;
  }
  if (stats.size <= READ_WHOLE_MAX) {
    const body = await readFile(path);
    res.end(range.kind === 'range' ? body.subarray(start, end + 1) : body);
    return;
  }
  const stream = createReadStream(path, { start, end });
  stream.on('error', (error) => res.destroy(error));
  stream.pipe(res);
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
