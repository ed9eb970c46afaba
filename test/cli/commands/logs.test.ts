// `pmx logs`: the last lines with PM2's prefixes, then new lines live, also across a rotation;
// --grep and --since on a real app's files, first and while following.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, PMX_BIN, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

/** The lines of `--raw` output, PM2's headers ([TAILING], `<file> last N lines:`) and blank lines left out. */
const body = (out: string): string[] => out.split('\n').filter((line) => line !== '' && !line.startsWith('[TAILING]') && !/^\/\S+ (last \d+ lines|lines since)\b.*:$/.test(line));

describe('pmx logs', () => {
  it('prints the last --lines lines with id|name prefixes and exits with --nostream', async () => {
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'w'], { env: { COUNT: '50', TAG: 'w' } });
    const proc = await pmx.proc('w');
    await eventually('all 50 lines', async () => (await pmx.ok(['logs', 'w', '--out', '--nostream', '--lines', '1'])).includes('w line-49'));
    const out = await pmx.ok(['logs', 'w', '--out', '--nostream', '--lines', '3']);
    const lines = out.trim().split('\n').filter((line) => line.includes('line-'));
    expect(lines).toHaveLength(3);
    // PM2's prefix for the last lines: `id|name` padded to 10 columns
    expect(lines[0]).toMatch(new RegExp(`^${`${proc.pm_id}|w`.padEnd(10).replace('|', '\\|')} \\| w line-47 x*\\.$`));
    const raw = await pmx.ok(['logs', 'w', '--out', '--nostream', '--lines', '1', '--raw']);
    expect(body(raw)).toEqual([expect.stringMatching(/^w line-49 x*\.$/)]);
    const json = await pmx.ok(['logs', 'w', '--err', '--nostream', '--lines', '1', '--json']);
    expect(JSON.parse(json.trim())).toMatchObject({ message: 'done w', type: 'err', app_name: 'w' });
  });

  it('never stamps a line of the backlog with the time it is printed: with the time the line says it was written, or none', async () => {
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'plain'], { env: { COUNT: '3', TAG: 'plain' } });
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'timed', '--time'], { env: { COUNT: '3', TAG: 'timed' } });
    await eventually('both apps done', async () => {
      const errors = await pmx.ok(['logs', '--err', '--nostream']);
      return errors.includes('done plain') && errors.includes('done timed');
    });
    const plain = (await pmx.ok(['logs', 'plain', '--out', '--nostream', '--lines', '1', '--json'])).trim();
    expect(JSON.parse(plain)).toMatchObject({ app_name: 'plain', timestamp: null });
    expect(body(await pmx.ok(['logs', 'plain', '--out', '--nostream', '--lines', '1', '--raw', '--timestamp']))).toEqual([expect.stringMatching(/^plain line-2 x*\.$/)]);
    // a --time line: its own time, read from the line (to the second, as written)
    const line = readFileSync((await pmx.proc('timed')).pm2_env.pm_out_log_path, 'utf8').trim().split('\n').at(-1)!;
    const [, y, mo, d, h, mi, sec] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(line)!.map(Number);
    const timed = JSON.parse((await pmx.ok(['logs', 'timed', '--out', '--nostream', '--lines', '1', '--json'])).trim()) as { timestamp: string };
    expect(Math.floor(new Date(timed.timestamp).getTime() / 1000)).toBe(new Date(y!, mo! - 1, d!, h!, mi!, sec!).getTime() / 1000);
    await pmx.ok(['delete', 'plain']);
    await pmx.ok(['delete', 'timed']);
  });

  it('selects processes as stop and describe do: a /regex/ of names, a namespace, a script', async () => {
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'sel-api-1', '--namespace', 'sel'], { env: { COUNT: '1', TAG: 'api-1' } });
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'sel-api-2', '--namespace', 'sel'], { env: { COUNT: '1', TAG: 'api-2' } });
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'sel-web'], { env: { COUNT: '1', TAG: 'web' } });
    const shown = async (target: string): Promise<string[]> => {
      const out = await pmx.ok(['logs', target, '--out', '--nostream', '--lines', '1', '--raw']);
      return out.trim().split('\n').filter((line) => line.includes('line-0')).map((line) => line.split(' ')[0]!).sort();
    };
    await eventually('every writer done', async () => (await shown('/^sel-/')).length === 3);
    expect(await shown('/^sel-api/')).toEqual(['api-1', 'api-2']);
    expect(await shown('sel')).toEqual(['api-1', 'api-2']);
    expect(await shown('sel-web')).toEqual(['web']);
    expect(await shown(join(apps, 'writer.js'))).toEqual(['api-1', 'api-2', 'web']);
    // as PM2: nothing to show is no error (exit 0), and pmx says so
    const none = await pmx.run(['logs', '/^nothing/', '--nostream']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("[PMX][WARN] no process matches '/^nothing/'");
    await pmx.ok(['delete', '/^sel-/']);
  });

  it('follows new lines as the app writes them, across a size rotation', async () => {
    const file = join(pmx.dir, 'tick.config.js');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'tick', script: join(apps, 'ticker.js'), env: { EVERY: '20' }, log_rotate: { max_size: '300' } })}] };`);
    await pmx.ok(['start', file]);
    const follower = spawn(process.execPath, [PMX_BIN, 'logs', 'tick', '--out', '--lines', '0'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    follower.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // 300 bytes hold about 20 ticks: seeing 60 new ticks in order means the follower crossed rotations
      const ticks = await eventually('60 followed ticks', () => {
        const seen = [...output.matchAll(/\|tick +\| tick (\d+)/g)].map((m) => Number(m[1]));
        return seen.length >= 60 ? seen : null;
      }, 15_000);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe(ticks[i - 1]! + 1);
    } finally {
      follower.kill('SIGINT');
    }
  });
});

/** A `pmx logs` stream running beside the test: what it printed so far. */
function streamOf(args: string[]): { child: ReturnType<typeof spawn>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [PMX_BIN, ...args], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

describe('pmx logs, following', () => {
  it('follows the processes that appear while it streams (a new app, a scale up), from their first line, as PM2 does', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'before']);
    const follower = spawn(process.execPath, [PMX_BIN, 'logs', '--lines', '0'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    follower.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const named = streamOf(['logs', 'coming', '--lines', '0']);
    try {
      // the stream has begun once it prints the ticks of the app it started with
      await eventually('a tick of the app there before', () => /\|before +\| tick \d+/.test(output), 15_000);
      await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'later', '-i', '1', '-x']);
      const first = await eventually("the new app's first tick", () => /\|later +\| tick 0\b/.exec(output), 15_000);
      expect(first).not.toBeNull();
      await pmx.ok(['scale', 'later', '2']);
      // a stream of a name nothing has yet shows it once it starts, as PM2's does
      expect(named.stderr()).toContain("no process matches 'coming' yet");
      await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'coming']);
      await eventually("the awaited app's ticks", () => /\|coming +\| tick 0\b/.test(named.stdout()), 15_000);
      expect(named.stdout()).not.toMatch(/\|(before|later) +\|/);
      const ids = await eventually('ticks of both instances', () => {
        const seen = new Set([...output.matchAll(/(\d+)\|later +\| tick/g)].map((m) => m[1]));
        return seen.size === 2 ? seen : null;
      }, 15_000);
      expect(ids.size).toBe(2);
    } finally {
      follower.kill('SIGINT');
      named.child.kill('SIGINT');
      await pmx.ok(['delete', 'before']);
      await pmx.ok(['delete', 'later']);
      await pmx.run(['delete', 'coming']);
    }
  });
});

describe('pmx logs, following output with no file of its own', () => {
  it('streams the lines of an app whose logs go to /dev/null, from the bus, as PM2 does (it showed nothing, and told the user to remove /dev/null)', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'void', '-o', '/dev/null', '-e', '/dev/null'], { env: { EVERY: '50' } });
    const follower = streamOf(['logs', 'void', '--lines', '0']);
    try {
      await eventually('ticks of the app', () => /\d+\|void +\| tick \d+/.test(follower.stdout()), 15_000);
      expect(follower.stderr()).not.toContain('Not read');
    } finally {
      follower.child.kill('SIGINT');
      await pmx.ok(['delete', 'void']);
    }
  });

  it('labels each line of instances that share one file (--merge-logs) with the instance that wrote it, and `logs <id>` shows that one only (all came under the first, or all under the id asked)', async () => {
    const script = join(pmx.dir, 'pid-ticker.js');
    writeFileSync(script, 'let n = 0;\nsetInterval(() => console.log(`tick ${n++} pid ${process.pid}`), 50);\n');
    await pmx.ok(['start', script, '-n', 'merged', '-i', '2', '-x', '--merge-logs']);
    const [first, second] = (await pmx.jlist()).filter((proc) => proc.name === 'merged').map((proc) => proc.pm_id);
    const all = streamOf(['logs', 'merged', '--lines', '0', '--out']);
    const one = streamOf(['logs', String(second), '--lines', '0', '--out']);
    try {
      const lines = (text: string, id: number): number[] => [...text.matchAll(new RegExp(`^${id}\\|merged +\\| tick \\d+ pid (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
      const procs = await pmx.jlist();
      const pidOf = (id: number): number => procs.find((proc) => proc.pm_id === id)!.pid;
      await eventually('lines of both instances', () => lines(all.stdout(), first!).length > 3 && lines(all.stdout(), second!).length > 3, 15_000);
      // each line under the instance whose pid it carries
      expect(new Set(lines(all.stdout(), first!))).toEqual(new Set([pidOf(first!)]));
      expect(new Set(lines(all.stdout(), second!))).toEqual(new Set([pidOf(second!)]));
      await eventually('lines of the instance asked for', () => lines(one.stdout(), second!).length > 3, 15_000);
      expect(one.stdout()).not.toMatch(new RegExp(`pid ${pidOf(first!)}$`, 'm'));
    } finally {
      all.child.kill('SIGINT');
      one.child.kill('SIGINT');
      await pmx.ok(['delete', 'merged']);
    }
  });
});

describe('pmx logs --grep and --since', () => {
  /** A line of a --time log: its stamp (local time, to the second) as a Date. */
  const stampOf = (line: string): Date => {
    const [, y, mo, d, h, mi, sec] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}): /.exec(line)!.map(Number);
    return new Date(y!, mo! - 1, d!, h!, mi!, sec!);
  };

  it('--grep keeps the last --lines matching lines, even ones far above the last 15', async () => {
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'g'], { env: { COUNT: '300', TAG: 'g' } });
    await eventually('all 300 lines', async () => (await pmx.ok(['logs', 'g', '--out', '--nostream', '--lines', '1'])).includes('g line-299'));
    const out = await pmx.ok(['logs', 'g', '--out', '--nostream', '--raw', '--grep', 'line-1[0-9] ']);
    expect(body(out).map((line) => /line-\d+/.exec(line)![0])).toEqual(Array.from({ length: 10 }, (_, index) => `line-${10 + index}`));
    const last = await pmx.ok(['logs', 'g', '--out', '--nostream', '--raw', '--grep', 'line-\\d*7 ', '--lines', '2']);
    expect(body(last).map((line) => /line-\d+/.exec(line)![0])).toEqual(['line-287', 'line-297']);
    await pmx.ok(['delete', 'g']);
  });

  it('a --grep that is not a regular expression is refused before anything is read', async () => {
    const run = await pmx.run(['logs', '--grep', 'GET (/api', '--nostream']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("[PMX][ERROR] --grep takes a JavaScript regular expression, got 'GET (/api'");
    expect(run.stdout).toBe('');
  });

  it('--since shows exactly the lines of a --time app stamped since then, from the file as written', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'stamped', '--time'], { env: { EVERY: '100' } });
    const { pm2_env } = await pmx.proc('stamped');
    await eventually('ticks over 2 seconds', () => readFileSync(pm2_env.pm_out_log_path, 'utf8').split('\n').length > 20);
    const since = new Date();
    await eventually('ticks stamped 2 seconds later', () => readFileSync(pm2_env.pm_out_log_path, 'utf8').trim().split('\n').some((line) => stampOf(line).getTime() >= since.getTime() + 2000));
    await pmx.ok(['stop', 'stamped']); // the file stays as it is from here
    const written = readFileSync(pm2_env.pm_out_log_path, 'utf8').trim().split('\n');
    const secondOfSince = Math.floor(since.getTime() / 1000) * 1000; // stamps say the second
    const expected = written.filter((line) => stampOf(line).getTime() >= secondOfSince);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(written.length);
    const run = await pmx.run(['logs', 'stamped', '--out', '--nostream', '--raw', '--since', since.toISOString()]);
    expect(run.code, run.stderr).toBe(0);
    expect(body(run.stdout)).toEqual(expected);
    expect(run.stderr).toBe('');
    const grepped = await pmx.ok(['logs', 'stamped', '--out', '--nostream', '--raw', '--since', since.toISOString(), '--grep', '5$']);
    expect(body(grepped)).toEqual(expected.filter((line) => line.endsWith('5')));
    await pmx.ok(['delete', 'stamped']);
  });

  it('--since says so and shows nothing from a file whose lines carry no time', async () => {
    await pmx.ok(['start', join(apps, 'writer.js'), '-n', 'plain'], { env: { COUNT: '5', TAG: 'plain' } });
    const { pm2_env } = await pmx.proc('plain');
    await eventually('5 lines', () => readFileSync(pm2_env.pm_out_log_path, 'utf8').includes('plain line-4'));
    const run = await pmx.run(['logs', 'plain', '--out', '--nostream', '--raw', '--since', '1h']);
    expect(run.code).toBe(0);
    expect(body(run.stdout)).toEqual([]);
    expect(run.stderr).toContain(`[PMX][WARN] --since: the lines of ${pm2_env.pm_out_log_path} carry no time, so none is shown (start plain with --time or a log_date_format to date its lines)`);
    await pmx.ok(['delete', 'plain']);
  });

  it('while following, only new lines matching --grep are printed, with --since in the past', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'live'], { env: { EVERY: '20' } });
    const follower = spawn(process.execPath, [PMX_BIN, 'logs', 'live', '--out', '--lines', '0', '--raw', '--grep', '7$', '--since', '5m'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    follower.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const seen = await eventually('5 followed ticks ending in 7', () => {
        const lines = output.split('\n').filter((line) => line !== '');
        return lines.length >= 5 ? lines : null;
      }, 15_000);
      for (const line of seen) expect(line).toMatch(/^tick \d*7$/);
      const numbers = seen.map((line) => Number(line.slice(5)));
      for (let index = 1; index < numbers.length; index++) expect(numbers[index]).toBe(numbers[index - 1]! + 10); // none skipped
    } finally {
      follower.kill('SIGINT');
      await pmx.ok(['delete', 'live']);
    }
  });
});
