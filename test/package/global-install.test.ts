// The packed project installs globally (npm pack, then npm install -g into a temporary prefix) and
// the installed pmx works: its version, its agent, an app started and listed, and the agent killed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/pmx.js';

const execFileAsync = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), 'pmx-global-'));
const prefix = join(dir, 'prefix');
const home = join(dir, 'home');
let installOutput = '';

const pmx = (...args: string[]) =>
  spawnSync(join(prefix, 'bin', 'pmx'), args, { cwd: dir, env: { ...process.env, PMX_HOME: home, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 });

// npm runs asynchronously: a synchronous install (a minute or more on a loaded machine, as it
// compiles ssh2's optional native module) blocks this worker's event loop for longer than vitest's
// 60 s RPC timeout, which fails a run whose tests all passed ("Timeout calling onTaskUpdate")
beforeAll(async () => {
  const packed = (await execFileAsync('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })).stdout.trim().split('\n').at(-1)!;
  const install = await execFileAsync('npm', ['install', '-g', join(dir, packed), '--prefix', prefix, '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 26 }).catch(
    (error: { code?: number | string; stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '', failed: error.code ?? 'killed' }),
  );
  installOutput = `${install.stdout}${install.stderr}`;
  if ('failed' in install) throw new Error(`npm install -g failed (${install.failed}):\n${installOutput}`);
}, 420_000);

afterAll(() => {
  if (readdirSync(dir).length > 0) pmx('kill');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm install -g of the packed project', () => {
  it('installs without an error or a deprecation notice', () => {
    expect(installOutput).not.toMatch(/npm (ERR!|error)/);
    expect(installOutput).not.toMatch(/deprecated/i);
  });

  it('puts a pmx on the prefix PATH that starts, lists and kills', () => {
    const version = pmx('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    writeFileSync(join(dir, 'app.js'), 'setInterval(() => {}, 1000);\n');
    const started = pmx('start', 'app.js', '-n', 'installed');
    expect(started.status, started.stderr).toBe(0);
    const list = JSON.parse(pmx('jlist').stdout) as Array<{ name: string; pm2_env: { status: string } }>;
    expect(list.map((proc) => `${proc.name}:${proc.pm2_env.status}`)).toEqual(['installed:online']);
    expect(pmx('kill').status).toBe(0);
  });
});
