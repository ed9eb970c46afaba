// Shared bench helpers: pmx and PM2 (installed from npm into a cache folder, with its own
// PM2_HOME) as tools with the same small interface, ports, and result tables.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH_DIR);
const PM2_VERSION = process.env.PM2_VERSION ?? 'latest';

/** PM2 installed once into bench/.cache (npm install --prefix); returns its bin path. */
export async function installPm2() {
  const prefix = join(BENCH_DIR, '.cache', `pm2-${PM2_VERSION}`);
  const bin = join(prefix, 'node_modules', 'pm2', 'bin', 'pm2');
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    console.log(`installing pm2@${PM2_VERSION} into ${prefix} ...`);
    await exec('npm', ['install', `pm2@${PM2_VERSION}`, '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error'], { maxBuffer: 1 << 26 });
  }
  return bin;
}

/** A process manager under test: run its CLI with a private home, and kill it at the end. */
function tool(name, bin, homeVar, pidFile) {
  const home = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const cli = (args, env = {}) =>
    exec(process.execPath, [bin, ...args], { env: { ...process.env, [homeVar]: home, NO_COLOR: '1', ...env }, maxBuffer: 1 << 26 });
  return {
    name,
    home,
    cli,
    logsDir: join(home, 'logs'),
    /** The agent's (PM2's daemon's) pid, once it runs. */
    daemonPid: () => Number(readFileSync(join(home, pidFile), 'utf8').trim()),
    async kill() {
      await cli(['kill']).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** pmx, and PM2 unless BENCH_NO_PM2 is set. */
export async function tools() {
  const list = [tool('pmx', join(ROOT, 'bin', 'pmx.cjs'), 'PMX_HOME', 'agent.pid')];
  if (!process.env.BENCH_NO_PM2) list.push(tool('pm2', await installPm2(), 'PM2_HOME', 'pm2.pid'));
  return list;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts on 127.0.0.1:port (a readiness wait, bounded). */
export async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function printTable(title, headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in bytes (0 when it is gone). */
export function rssBytes(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return 0;
  }
}
