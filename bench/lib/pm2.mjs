// PM2 from npm: installed once into bench/.cache/pm2-<version> (PM2_VERSION picks the version,
// default latest), and run with its own temporary PM2_HOME so that it never touches ~/.pm2.
// Every PM2 daemon started here is killed (`pm2 kill` with that home) at the end of the run, in
// a finally and on Ctrl-C: see manager.mjs and cleanup.mjs.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { manager } from './manager.mjs';
import { BENCH_DIR } from './paths.mjs';

const exec = promisify(execFile);
const CACHE = join(BENCH_DIR, '.cache');
const binOf = (prefix) => join(prefix, 'node_modules', 'pm2', 'bin', 'pm2');

/** The exact version PM2_VERSION names (asks npm only when it is not already one). */
async function resolveVersion(spec) {
  if (/^\d+\.\d+\.\d+$/.test(spec)) return spec;
  try {
    const { stdout } = await exec('npm', ['view', `pm2@${spec}`, 'version', '--json'], { timeout: 30_000 });
    const found = JSON.parse(stdout);
    return Array.isArray(found) ? found.at(-1) : found;
  } catch (error) {
    // offline: the newest version already installed here will do
    const cached = existsSync(CACHE) ? readdirSync(CACHE).filter((d) => /^pm2-\d+\.\d+\.\d+$/.test(d) && existsSync(binOf(join(CACHE, d)))) : [];
    const newest = cached.map((d) => d.slice(4)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
    if (!newest) throw new Error(`cannot resolve pm2@${spec} (${error.message.split('\n')[0]}) and no PM2 is cached in ${CACHE}`);
    console.log(`  (npm could not resolve pm2@${spec}; using the cached ${newest})`);
    return newest;
  }
}

let installed;

/** { version, bin } of PM2, installing it into the cache on first use. */
export function installPm2() {
  installed ??= (async () => {
    const version = await resolveVersion(process.env.PM2_VERSION ?? 'latest');
    const prefix = join(CACHE, `pm2-${version}`);
    if (!existsSync(binOf(prefix))) {
      mkdirSync(CACHE, { recursive: true });
      // into a temporary folder first: an interrupted install never looks like a cached one
      const staging = mkdtempSync(join(CACHE, `.install-pm2-${version}-`));
      console.log(`  installing pm2@${version} into ${prefix} ...`);
      try {
        await exec('npm', ['install', `pm2@${version}`, '--prefix', staging, '--no-audit', '--no-fund', '--loglevel=error'], { maxBuffer: 1 << 26 });
        rmSync(prefix, { recursive: true, force: true });
        renameSync(staging, prefix);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    // mkdtemp made it 0700: other users run this PM2 too (the SSH hosts' deploy user, bench/deploy.mjs)
    chmodSync(prefix, 0o755);
    return { version, bin: binOf(prefix) };
  })();
  return installed;
}

export async function pm2() {
  const { version, bin } = await installPm2();
  return manager({ name: 'pm2', label: 'PM2', version, bin, homeVar: 'PM2_HOME', pidFile: 'pm2.pid' });
}
