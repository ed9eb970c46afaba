// Fleet control on 3 real SSH hosts after a real `pmx deploy`: the merged `ls` and `jlist`, logs
// from every host at once, a reload across the fleet while an HTTP client keeps hitting every
// host, actions reported per host, and a host whose sshd is down.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionsFrom } from '../hosts/behind-bastion.js';
import { hostPids, readHostFile, startHosts, startSshd, stopHosts, stopSshd, type HostsHandle, type TestHost } from '../hosts/index.js';
import { APP_PORT, createAppRepo, setUpAndDeploy, environment, servingEverywhere, useFreshBundle, type AppRepo } from '../deploy/helpers.js';
import { PMX_BIN, PmxSandbox, type JlistEntry } from '../helpers/pmx.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
let pmx: PmxSandbox;

/** The app of the deploy tests, logging each request it serves. */
const LOGGING_SERVER = `const http = require('http');
const fs = require('fs');
const os = require('os');
const version = fs.readFileSync(__dirname + '/VERSION', 'utf8').trim();
http.createServer((req, res) => {
  console.log('served ' + req.url + ' on ' + os.hostname());
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ version, host: os.hostname(), dir: __dirname }));
}).listen(Number(process.env.PORT) || ${APP_PORT});
`;

/** A second script in the release: a numbered line every 100 ms, for the --since test. */
const TICKER = `let n = 0;\nsetInterval(() => console.log('tick ' + n++), 100);\n`;

beforeAll(async () => {
  useFreshBundle();
  pmx = new PmxSandbox('pmx-fleet-');
  env = await startHosts({ count: 3, name: 'fleet' });
  hosts = env.hosts;
  const unroutable = env.subnet!.replace(/\.0\/24$/, '.250'); // in the hosts' subnet, no one there
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, { strategy: 'release' }),
    lost: environment(env, hosts, origin, { strategy: 'release', host: [hosts[0]!.address, unroutable] }),
    // the same hosts and path, with roles: two web hosts and one db host
    tiered: environment(env, hosts, origin, { strategy: 'release', host: hosts.map((host, index) => ({ host: host.address, roles: [index < 2 ? 'web' : 'db'] })) }),
  }));
  // two cluster instances per host, so a reload replaces one while the other serves
  const config = createRequire(app.file)(app.file) as { apps: Record<string, unknown>[] };
  config.apps[0] = { ...config.apps[0], exec_mode: 'cluster', instances: 2 };
  app.commit('v1', { 'ecosystem.config.js': `module.exports = ${JSON.stringify(config, null, 2)};\n`, 'server.js': LOGGING_SERVER, 'ticker.js': TICKER });
  await setUpAndDeploy(app.file, 'production', 3);
  expect((await servingEverywhere(hosts, 'v1')).map((a) => a.version)).toEqual(['v1', 'v1', 'v1']);
}, 120_000);
afterAll(async () => {
  try {
    if (env) await stopHosts(env);
  } finally {
    await pmx?.cleanup();
    // the app's clone and the bundle the helpers made for this file
    for (const dir of [app?.dir, process.env.PMX_BUNDLE_FILE && dirname(process.env.PMX_BUNDLE_FILE)]) if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** `pmx <args> --deploy production`, run from the app's directory (its ecosystem file). */
const fleet = (...args: string[]) => pmx.run([...args, '--deploy', 'production'], { cwd: app.dir, timeoutMs: 60_000 });

/** The rows of a table that belong to a host. */
const rowsOf = (table: string, host: TestHost): string[] => table.split('\n').filter((line) => line.startsWith(`│ ${host.address} `));

const jlist = async (): Promise<(JlistEntry & { host: string })[]> => {
  const run = await fleet('jlist');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as (JlistEntry & { host: string })[];
};

describe('pmx <command> --deploy <environment> on 3 hosts', () => {
  it('ls merges every host into one table with a host column', async () => {
    const run = await fleet('ls');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/┌/g)).toHaveLength(1);
    expect(run.stdout.split('\n')[1]).toMatch(/^│ host +│ id /);
    for (const host of hosts) {
      const rows = rowsOf(run.stdout, host);
      expect(rows, run.stdout).toHaveLength(2);
      for (const row of rows) expect(row).toMatch(/│ web +│.*│ cluster +│.*│ online +│/);
    }
  }, 60_000);

  it("jlist is one JSON list in PM2's shape, each process with its host", async () => {
    const procs = await jlist();
    expect(procs.map((p) => p.host).sort()).toEqual(hosts.flatMap((h) => [h.address, h.address]).sort());
    for (const proc of procs) {
      expect(proc.name).toBe('web');
      expect(proc.pm2_env.status).toBe('online');
      expect(proc.pm2_env.exec_mode).toBe('cluster_mode');
      expect(proc.pid).toBeGreaterThan(0);
    }
  }, 60_000);

  it('logs follows every host at once, each line prefixed with its host, and stops on SIGINT leaving no pmx logs behind', async () => {
    const marker = `/marker-${Date.now()}`; // never requested before: its lines can only come from following
    const child = spawn(process.execPath, [PMX_BIN, 'logs', 'web', '--deploy', 'production'], { cwd: app.dir, env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const heard = (host: TestHost): boolean => stdout.split('\n').some((line) => line.startsWith(`${host.address} | `) && line.includes(`served ${marker} on ${host.name}`));
    // each host prints the last lines of its 4 files (2 instances, out and err) before it follows
    const followsEverywhere = (): boolean => hosts.every((host) => stdout.split('\n').filter((line) => line.startsWith(`${host.address} | `) && line.endsWith(' last 15 lines:')).length === 4);
    try {
      while (!followsEverywhere()) {
        if (child.exitCode !== null) throw new Error(`pmx logs ended\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await moreOutputOr200ms(child.stdout);
      }
      // a request logs a line on its host; requests go on until each host's line came back
      const deadline = Date.now() + 30_000;
      while (!hosts.every(heard)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not every host's line arrived\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await Promise.all(hosts.filter((host) => !heard(host)).map((host) => get(host, marker).catch(() => undefined)));
        await moreOutputOr200ms(child.stdout);
      }
    } finally {
      process.kill(child.pid!, 'SIGINT');
    }
    expect(await exited, stderr).toBe(0);
    for (const host of hosts) expect(await remoteCommandLines(host)).not.toContainEqual(expect.stringContaining(' logs web'));
  }, 60_000);

  it('logs --nostream --json prints each host\'s last lines as JSON with their host, then ends', async () => {
    const run = await fleet('logs', 'web', '--nostream', '--json', '--lines', '3');
    expect(run.code, run.stderr).toBe(0);
    const entries = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host: string; app_name: string; message: string });
    expect(new Set(entries.map((entry) => entry.host))).toEqual(new Set(hosts.map((host) => host.address)));
    for (const entry of entries) expect([entry.app_name, entry.message]).toEqual(['web', expect.stringMatching(/^served \S+ on h\d$/)]);
  }, 60_000);

  it('reload across the fleet keeps every host serving: an HTTP client loop sees only good answers', async () => {
    const before = await jlist();
    const client = clientLoop(hosts);
    const run = await fleet('reload', 'web');
    const answers = await client.stop();
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('[PMX] reload on production: done on 3 of 3 hosts');
    for (const host of hosts) {
      expect(run.stdout).toContain(`${host.address} | [PMX] reloaded web (id 0): online`);
      expect(answers.ok[host.address], `no answer from ${host.address} during the reload`).toBeGreaterThan(0);
    }
    expect(answers.failures).toEqual([]);
    const after = await jlist();
    const pids = (procs: JlistEntry[]) => new Set(procs.map((p) => p.pid));
    expect([...pids(after)].filter((pid) => pids(before).has(pid))).toEqual([]); // every instance was replaced
  }, 120_000);

  it('stop, start, describe and save run on every host and report per host', async () => {
    const stopped = await fleet('stop', 'web');
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const host of hosts) for (const row of rowsOf(stopped.stdout, host)) expect(row).toMatch(/│ stopped +│/);
    const started = await fleet('start', 'web');
    expect(started.code, started.stderr).toBe(0);
    for (const host of hosts) expect(rowsOf(started.stdout, host).every((row) => /│ online +│/.test(row))).toBe(true);
    const described = await fleet('describe', 'web');
    expect(described.code, described.stderr).toBe(0);
    for (const host of hosts) expect(described.stdout).toContain(`── ${host.address} ──`);
    const saved = await fleet('save');
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain('[PMX] save on production: done on 3 of 3 hosts');
    for (const host of hosts) expect(await readHostFile(host, '/home/deploy/.pmx/dump.pmx')).toContain('web');
  }, 120_000);

  it("a host whose sshd is down is a row saying so in ls; the others answer; an action fails only that host's part", async () => {
    const down = hosts[2]!;
    await stopSshd(down, { sessions: true });
    try {
      const ls = await fleet('ls');
      expect(ls.code, ls.stderr).toBe(0);
      expect(rowsOf(ls.stdout, down)).toEqual([expect.stringMatching(/│ unreachable: connection refused/)]);
      for (const host of hosts.slice(0, 2)) expect(rowsOf(ls.stdout, host).every((row) => /│ online +│/.test(row))).toBe(true);

      const list = await fleet('jlist');
      expect(list.code).toBe(0);
      expect(new Set((JSON.parse(list.stdout) as { host: string }[]).map((p) => p.host))).toEqual(new Set([hosts[0]!.address, hosts[1]!.address]));
      expect(list.stderr).toContain(`[PMX][WARN] ${down.address}: unreachable: connection refused`);

      const restart = await fleet('restart', 'web');
      expect(restart.code).toBe(1);
      expect(restart.stdout).toContain(`${down.address} | [PMX][ERROR] unreachable: connection refused`);
      expect(restart.stderr).toContain(`[PMX][ERROR] restart on production: done on 2 of 3 hosts; failed on ${down.address}`);

      // a script reading logs once learns from the exit code that a host's lines are missing; the others' are printed
      const logs = await fleet('logs', 'web', '--nostream', '--raw', '--lines', '2');
      expect(logs.code, logs.stderr).toBe(1);
      expect(logs.stderr).toContain(`${down.address} | [PMX][ERROR] unreachable: connection refused`);
      for (const host of hosts.slice(0, 2)) expect(logs.stdout.split('\n').some((line) => line.startsWith(`${host.address} | `))).toBe(true);

      // so does describe (it exited 0 with a host's description missing)
      const described = await fleet('describe', 'web');
      expect(described.code).toBe(1);
      expect(described.stdout).toContain('unreachable: connection refused');
    } finally {
      await startSshd(down);
    }
  }, 60_000);
});

describe('--hosts and --roles pick the hosts of a fleet command, as they do for deploy', () => {
  const tiered = (...args: string[]) => pmx.run([...args, '--deploy', 'tiered'], { cwd: app.dir, timeoutMs: 60_000 });
  const restarts = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const proc of await jlist()) counts[proc.host] = (counts[proc.host] ?? 0) + proc.pm2_env.restart_time;
    return counts;
  };

  it('ls --roles db lists only the db host; --hosts takes globs and lists', async () => {
    const db = await tiered('ls', '--roles', 'db');
    expect(db.code, db.stderr).toBe(0);
    expect(rowsOf(db.stdout, hosts[2]!)).toHaveLength(2);
    for (const host of hosts.slice(0, 2)) expect(rowsOf(db.stdout, host)).toEqual([]);
    const lastOctet = hosts[1]!.address.split('.').pop()!;
    const picked = await tiered('jlist', '--hosts', `${hosts[0]!.address},*.${lastOctet}`);
    expect(picked.code, picked.stderr).toBe(0);
    expect(new Set((JSON.parse(picked.stdout) as { host: string }[]).map((proc) => proc.host))).toEqual(new Set([hosts[0]!.address, hosts[1]!.address]));
  }, 60_000);

  it('restart --roles web restarts on the web hosts only, and says so for 2 hosts', async () => {
    const before = await restarts();
    const run = await tiered('restart', 'web', '--roles', 'web');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('[PMX] restart on tiered: done on 2 of 2 hosts');
    const after = await restarts();
    for (const host of hosts.slice(0, 2)) expect(after[host.address]).toBe(before[host.address]! + 2); // both instances
    expect(after[hosts[2]!.address]).toBe(before[hosts[2]!.address]);
  }, 60_000);

  it('logs --roles db --nostream reads the db host only', async () => {
    const run = await tiered('logs', 'web', '--roles', 'db', '--nostream', '--json', '--lines', '2');
    expect(run.code, run.stderr).toBe(0);
    const entries = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host: string });
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((entry) => entry.host))).toEqual(new Set([hosts[2]!.address]));
  }, 60_000);

  it('a selection that matches no host is an error naming the environment and the selection, before any host is contacted', async () => {
    const run = await tiered('stop', 'web', '--hosts', 'nomatch*', '--roles', 'web');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`[PMX][ERROR] --hosts 'nomatch*' --roles 'web' matches no host of deploy.tiered (hosts: ${hosts[0]!.address} [web], ${hosts[1]!.address} [web], ${hosts[2]!.address} [db])`);
    expect(run.stdout).toBe('');
    expect((await jlist()).every((proc) => proc.pm2_env.status === 'online')).toBe(true);
    const empty = await tiered('ls', '--roles', ',');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('--roles names nothing');
  }, 60_000);

  it('--hosts without --deploy is an error saying to name the environment', async () => {
    const run = await pmx.run(['ls', '--hosts', 'web*'], { cwd: app.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[PMX][ERROR] --hosts selects hosts of a deploy environment, and no environment was given');
    expect(run.stderr).toContain('add --deploy <environment>');
  });
});

describe('a host that never answers', () => {
  it('is a row in ls once the connect timeout (3 s here) passed, and the other host is listed', async () => {
    const started = Date.now();
    const run = await pmx.run(['ls', '--deploy', 'lost'], { cwd: app.dir, timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(3000 + 4000);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('│ ') && !line.startsWith('│ host '));
    expect(rows.filter((row) => row.startsWith(`│ ${hosts[0]!.address} `) && /│ online +│/.test(row))).toHaveLength(2);
    expect(rows.at(-1)).toMatch(/│ unreachable: (no answer within 3 s|no route to host)/);
  }, 30_000);
});

/** One GET of the app on a host; rejects unless it answers 200. */
function get(host: TestHost, path = '/'): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: host.address, port: APP_PORT, path, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Requests to every host, one after another per host, until stop(); counts the good answers and keeps the failures. */
function clientLoop(targets: TestHost[]): { stop: () => Promise<{ ok: Record<string, number>; failures: string[] }> } {
  let running = true;
  const ok: Record<string, number> = {};
  const failures: string[] = [];
  const loops = targets.map(async (host) => {
    ok[host.address] = 0;
    while (running) {
      try {
        await get(host);
        ok[host.address]! += 1;
      } catch (error) {
        failures.push(`${host.address}: ${(error as Error).message}`);
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}

/** Resolves at the next chunk of output, or after 200 ms: the pace of a retry loop that waits for lines. */
function moreOutputOr200ms(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('data', done);
      resolve();
    };
    const timer = setTimeout(done, 200);
    stream.on('data', done);
  });
}

/** The command lines of the processes running in a host right now. */
async function remoteCommandLines(host: TestHost): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of await hostPids(host)) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // ended meanwhile
    }
  }
  return lines;
}

/** What each host's `logs --raw` printed, PM2's headers ([TAILING], `<file> last N lines:`) and blank lines left out. */
const logLines = (out: string): string[] =>
  out.split('\n').filter((line) => {
    const text = line.replace(/^\S+ \| /, '');
    return text.trim() !== '' && !text.startsWith('[TAILING]') && !/^\/\S+ (last \d+ lines|lines since)\b.*:$/.test(text);
  });

describe('fleet logs --grep and --since (the last tests: they start a second app on every host)', () => {
  it("--grep keeps each host's matching lines only", async () => {
    const marker = `/grep-${Date.now()}`;
    await Promise.all(hosts.map((host) => get(host, marker)));
    const run = await fleet('logs', 'web', '--nostream', '--raw', '--out', '--grep', `served ${marker} on`);
    expect(run.code, run.stderr).toBe(0);
    const lines = logLines(run.stdout);
    expect(lines.sort()).toEqual(hosts.map((host) => `${host.address} | served ${marker} on ${host.name}`).sort());
  }, 60_000);

  it('a bad --grep or --since is refused before any host is contacted', async () => {
    const local = env.subnet!.replace(/\.0\/24$/, '.1');
    const before = await Promise.all(hosts.map((host) => connectionsFrom(host, local)));
    const grep = await fleet('logs', '--grep', '[unclosed', '--nostream');
    expect(grep.code).toBe(1);
    expect(grep.stderr).toContain("[PMX][ERROR] --grep takes a JavaScript regular expression, got '[unclosed'");
    expect(grep.stdout).toBe('');
    const since = await fleet('logs', '--since', 'last week', '--nostream');
    expect(since.code).toBe(1);
    expect(since.stderr).toContain("[PMX][ERROR] --since takes a duration (30s, 10m, 2h, 1d) or an ISO time (2026-12-05T10:00:00Z), got 'last week'");
    expect(await Promise.all(hosts.map((host) => connectionsFrom(host, local)))).toEqual(before);
  }, 30_000);

  it("--since shows each host's lines stamped since one instant, and says which hosts' lines carry no time", async () => {
    const started = await fleet('start', 'ticker.js', '--name', 'stamped', '--time');
    expect(started.code, `${started.stdout}\n${started.stderr}`).toBe(0);
    const logPath = '/home/deploy/.pmx/logs/stamped-out.log';
    const stampOf = (line: string): number => {
      const [, y, mo, d, h, mi, sec] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}): /.exec(line)!.map(Number);
      return new Date(y!, mo! - 1, d!, h!, mi!, sec!).getTime();
    };
    const linesOn = async (host: TestHost): Promise<string[]> => (await readHostFile(host, logPath).catch(() => '')).trim().split('\n').filter((line) => line !== '');
    const ticking = async (after: number): Promise<boolean> => (await Promise.all(hosts.map(linesOn))).every((lines) => lines.some((line) => stampOf(line) >= after));
    while (!(await ticking(Date.now() - 60_000))) await new Promise((resolve) => setTimeout(resolve, 200));
    const since = new Date(Date.now() + 1500); // the lines of the next 1.5 s are before it, to be left out
    while (!(await ticking(since.getTime() + 2000))) await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = await fleet('stop', 'stamped'); // each file stays as it is from here
    expect(stopped.code, stopped.stderr).toBe(0);
    const run = await fleet('logs', 'stamped', '--out', '--nostream', '--raw', '--since', since.toISOString());
    expect(run.code, run.stderr).toBe(0);
    const second = Math.floor(since.getTime() / 1000) * 1000;
    for (const host of hosts) {
      const written = await linesOn(host);
      const expected = written.filter((line) => stampOf(line) >= second);
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(written.length);
      const shown = logLines(run.stdout).filter((line) => line.startsWith(`${host.address} | `)).map((line) => line.slice(`${host.address} | `.length));
      expect(shown).toEqual(expected);
    }
    // web was started without --time: its lines cannot be dated, and each host says so
    const web = await fleet('logs', 'web', '--out', '--nostream', '--raw', '--since', '1h');
    expect(web.code).toBe(0);
    expect(logLines(web.stdout)).toEqual([]);
    for (const host of hosts) expect(web.stderr).toContain(`${host.address} | [PMX][WARN] --since: the lines of `);
  }, 90_000);
});
