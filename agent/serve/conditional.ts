// The caching and partial-content rules of one file response: validators (ETag, Last-Modified),
// the 304 decision, and the single byte range a client may ask for.
import type { IncomingHttpHeaders } from 'node:http';
import type { Stats } from 'node:fs';

/** A weak validator from size and modification time, as serve-static and sirv make it. */
export function etagOf(stats: Stats): string {
  return `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

/** True when the client's copy is current: If-None-Match names the ETag, or (without it) If-Modified-Since is not older. */
export function notModified(headers: IncomingHttpHeaders, etag: string, stats: Stats): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
    return noneMatch.trim() === '*' || noneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
  }
  const since = headers['if-modified-since'];
  if (since === undefined) return false;
  const time = Date.parse(since);
  return !Number.isNaN(time) && Math.floor(stats.mtimeMs / 1000) * 1000 <= time;
}

/** What a Range header asks of a file of `size` bytes: all of it, one inclusive byte range, or nothing it has. */
export type RangeRequest = { kind: 'all' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * The range to send. Only one range is served; several (multipart) get the whole file, which
 * RFC 9110 allows. An If-Range that no longer matches also gets the whole file.
 */
export function requestedRange(headers: IncomingHttpHeaders, size: number, etag: string, stats: Stats): RangeRequest {
  const header = headers.range;
  if (!header || !header.startsWith('bytes=') || header.includes(',')) return { kind: 'all' };
  const ifRange = headers['if-range'];
  if (typeof ifRange === 'string' && !sameValidator(ifRange, etag, stats)) return { kind: 'all' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'all' };
  let start: number;
  let end: number;
  if (match[1] === '') {
    // bytes=-n: the last n bytes
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

/** If-Range holds the ETag or the Last-Modified date of the current file. */
function sameValidator(value: string, etag: string, stats: Stats): boolean {
  return value.trim().replace(/^W\//, '') === etag.replace(/^W\//, '') || Date.parse(value) === Math.floor(stats.mtimeMs / 1000) * 1000;
}
