// Where an app's script is, which interpreter runs it, and which package version it belongs to.
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, extname, isAbsolute, join, resolve } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.py': 'python3',
  '.sh': 'bash',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
};

/**
 * The interpreter for a located script, as PM2 picks it (TypeScript aside: see program.ts): by
 * extension; a directory (PM2's own template has one) with node; a binary directly ('none'); a shebang is honoured (node scripts get
 * 'node', so `bin/www` can run in cluster mode); and, as in PM2, any other text file with node.
 */
export function interpreterFor(path: string): string {
  const byExtension = BY_EXTENSION[extname(path).toLowerCase()];
  if (byExtension) return byExtension;
  if (isDirectory(path)) return 'node'; // node runs a directory's package main or index.js
  const head = readHead(path);
  if (head === null || head.includes(0)) return 'none';
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(head.toString('latin1'));
  if (!shebang) return 'node';
  const program = basename(shebang[1]!) === 'env' ? shebang[2] : shebang[1];
  if (program && /^node(js)?$/.test(basename(program))) return 'node';
  return isExecutable(path) || !program ? 'none' : program;
}

/** The absolute path of `script` (a file or directory) under `cwd`, or of the command found on `path` (a PATH value), or null. */
export function locateScript(script: string, cwd: string, path: string): string | null {
  const candidate = resolve(cwd, script);
  if (isFile(candidate) || isDirectory(candidate)) return candidate;
  return script.includes('/') ? null : onPath(script, path);
}

/** The executable `command` names on `path`, or null. */
export function onPath(command: string, path: string): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const found = join(dir, command);
    if (isExecutable(found)) return found;
  }
  return null;
}

/** `~/x` -> the home directory's x, as PM2 does for `cwd` and log paths. */
export function expandHome(path: string, home: string | undefined): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  return join(home || homedir(), path.slice(1));
}

/** An absolute path: `path` itself, or resolved against `base`. */
export function absolute(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** True when `path` is an existing directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The `version` of the nearest package.json at or above `dir`. */
export function packageVersion(dir: string): string | null {
  for (let current = dir; ; current = dirname(current)) {
    const file = join(current, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' ? version : null;
      } catch {
        return null;
      }
    }
    if (dirname(current) === current) return null;
  }
}

function readHead(path: string): Buffer | null {
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(512);
      return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return isFile(path);
  } catch {
    return false;
  }
}
