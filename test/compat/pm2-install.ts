// PM2 from npm for the differential tests: the benchmarks' install (bench/lib/pm2.mjs, cached in
// bench/.cache), run under flock so that test files starting at once install it only once.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/pmx.js';

/** The PM2 the differential tests compare against. */
export interface Pm2Install {
  version: string;
  /** Its CLI script, run with this node. */
  bin: string;
}

let installed: Pm2Install | null = null;

/** Installs PM2 (PM2_VERSION, default 7.0.4, the version the README table describes) once per machine. */
export function installPm2(): Pm2Install {
  if (installed) return installed;
  const cache = join(ROOT, 'bench', '.cache');
  mkdirSync(cache, { recursive: true });
  const script = "import('./bench/lib/pm2.mjs').then((m) => m.installPm2()).then((r) => process.stdout.write('\\n' + JSON.stringify(r)))";
  const output = execFileSync('flock', [join(cache, '.install.lock'), process.execPath, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, PM2_VERSION: process.env.PM2_VERSION ?? '7.0.4' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  installed = JSON.parse(output.trim().split('\n').at(-1)!) as Pm2Install;
  return installed;
}
