// Bun and Deno from npm for the runtime tests: installed once per machine into bench/.cache
// (as PM2 is for the differential tests), under flock so that test files starting at once
// install them only once. No network and no cache is a failure that says so, never a skip.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './pmx.js';

/** The runtimes the tests run apps with: their executables, and a PATH that finds them by name. */
export interface Runtimes {
  bun: string;
  deno: string;
  /** The folder holding `bun` and `deno`, to put first on an app's PATH. */
  bin: string;
}

/** The npm packages: `bun` brings its binary through the optional dependency @oven/bun-linux-x64, `deno` through @deno/linux-x64-glibc. */
const PACKAGES = ['bun@1', 'deno@2'];

let installed: Runtimes | null = null;

/** Installs Bun 1.x and Deno 2.x into bench/.cache/runtimes on first use (about 7 s), then reuses them. */
export function installRuntimes(): Runtimes {
  if (installed) return installed;
  const cache = join(ROOT, 'bench', '.cache');
  const prefix = join(cache, 'runtimes');
  const bin = join(prefix, 'node_modules', '.bin');
  mkdirSync(cache, { recursive: true });
  // into a temporary folder first: an interrupted install never looks like a cached one
  // sh -c SCRIPT PREFIX PACKAGES...: $0 is the prefix, "$@" the packages
  const install = [
    'test -x "$0/node_modules/.bin/bun" && test -x "$0/node_modules/.bin/deno" && exit 0',
    'staging=$(mktemp -d "$0.install-XXXXXX") || exit 1',
    'if npm install --prefix "$staging" --no-audit --no-fund --loglevel=error "$@" >&2; then rm -rf "$0" && mv "$staging" "$0" && chmod 755 "$0"; else rm -rf "$staging"; exit 1; fi',
  ].join('\n');
  try {
    execFileSync('flock', [join(cache, '.install.lock'), 'sh', '-c', install, prefix, ...PACKAGES], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`cannot install ${PACKAGES.join(' and ')} from npm into ${prefix} (the Bun/Deno tests need them; no network?): ${stderr || (error as Error).message}`);
  }
  const runtimes = { bun: join(bin, 'bun'), deno: join(bin, 'deno'), bin };
  for (const executable of [runtimes.bun, runtimes.deno]) {
    if (!existsSync(executable)) throw new Error(`npm installed ${PACKAGES.join(' and ')} into ${prefix} but left no ${executable} (its platform package missing?)`);
  }
  installed = runtimes;
  return installed;
}
