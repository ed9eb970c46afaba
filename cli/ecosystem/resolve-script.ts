// Where an app's script is, which interpreter runs it, and which package version it belongs to.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, extname, isAbsolute, join, resolve } from 'node:path';

/** The interpreter PM2 picks from a script's extension ('none' = execute it directly). */
export function interpreterFor(script: string): string {
  switch (extname(script).toLowerCase()) {
    case '.js':
    case '.cjs':
    case '.mjs':
    case '.ts':
      return 'node';
    case '.py':
      return 'python3';
    case '.sh':
      return 'bash';
    default:
      return 'none';
  }
}

/** The absolute path of `script` under `cwd`, or the command found on PATH, or null. */
export function locateScript(script: string, cwd: string, path = process.env.PATH ?? ''): string | null {
  const candidate = isAbsolute(script) ? script : resolve(cwd, script);
  if (isFile(candidate)) return candidate;
  if (script.includes('/')) return null;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const onPath = join(dir, script);
    if (isExecutable(onPath)) return onPath;
  }
  return null;
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

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return isFile(path);
  } catch {
    return false;
  }
}
