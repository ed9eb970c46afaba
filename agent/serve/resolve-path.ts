// Maps a request's URL to a file under the served root, and refuses whatever would leave it:
// `..` segments (plain or percent-encoded), NUL bytes, and symlinks that point outside the root.
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, sep } from 'node:path';

/** Where a URL leads: a file to send, nothing, or somewhere it may not go. */
export type Resolution = { kind: 'file'; path: string; stats: Stats } | { kind: 'missing' } | { kind: 'forbidden' } | { kind: 'malformed' };

/** The decoded path of a request URL, or a refusal when it cannot be a path under the root. */
export function decodeUrlPath(url: string): string | 'malformed' | 'forbidden' {
  const end = url.search(/[?#]/);
  const raw = end < 0 ? url : url.slice(0, end);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return 'malformed';
  }
  if (!path.startsWith('/') || path.includes('\0')) return 'malformed';
  if (path.split(/[/\\]/).includes('..')) return 'forbidden';
  return path;
}

/** Resolves URL paths against one root; the root's own real path is looked up once. */
export class RootResolver {
  private realRoot: string | null = null;

  constructor(readonly root: string) {}

  /** The file a decoded URL path names; a directory stands for its index.html. */
  async resolve(urlPath: string): Promise<Resolution> {
    const realRoot = await this.rootPath();
    if (realRoot === null) return { kind: 'missing' };
    const found = await this.inside(realRoot, join(realRoot, urlPath));
    if (found.kind !== 'file' || !found.stats.isDirectory()) return found;
    const index = await this.inside(realRoot, join(found.path, 'index.html'));
    return index.kind === 'file' && index.stats.isDirectory() ? { kind: 'missing' } : index;
  }

  /** `candidate`, with its symlinks followed, when that stays under the root. */
  private async inside(realRoot: string, candidate: string): Promise<Resolution> {
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (error) {
      return refusal(error);
    }
    if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return { kind: 'forbidden' };
    try {
      return { kind: 'file', path: real, stats: await stat(real) };
    } catch (error) {
      return refusal(error);
    }
  }

  private async rootPath(): Promise<string | null> {
    if (this.realRoot !== null) return this.realRoot;
    try {
      this.realRoot = await realpath(this.root);
    } catch {
      return null; // not there yet: every path is missing until it is
    }
    return this.realRoot;
  }
}

function refusal(error: unknown): Resolution {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? { kind: 'forbidden' } : { kind: 'missing' };
}
