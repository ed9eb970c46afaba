// Differential: log file names (when -<id> is added, which characters are replaced), where they
// go, what is in them, and what `logs`, `flush` and `--time` show, as under PM2.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPS, Differential, type JlistEntry, type Side, allOnline, project, settled, until } from './harness.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write(APPS);
}, 300_000);
afterEach(() => diff.clear());
afterAll(() => diff?.close());

const PATHS = ['pm2_env.NODE_APP_INSTANCE', 'pm2_env.pm_out_log_path', 'pm2_env.pm_err_log_path', 'pm2_env.pm_log_path', 'pm2_env.pm_pid_path'];

/** Each process's log and pid paths, the id in them written as <id> (PM2 may give ids in another order). */
function paths(list: JlistEntry[], side: 'pm2' | 'pmx'): Record<string, unknown>[] {
  return project(list, PATHS)
    .map((row, index) => JSON.parse(diff[side].normalize(JSON.stringify(row)).replaceAll(`-${[...list].sort((a, b) => a.pm_id - b.pm_id)[index]!.pm_id}.`, '-<id>.')))
    .sort((a, b) => Number(a['pm2_env.NODE_APP_INSTANCE']) - Number(b['pm2_env.NODE_APP_INSTANCE']));
}

async function samePaths(): Promise<Record<string, unknown>[]> {
  const { pm2, pmx } = await settled(diff, allOnline);
  expect(paths(pmx, 'pmx')).toEqual(paths(pm2, 'pm2'));
  return paths(pmx, 'pmx');
}

describe('log file names', () => {
  it('a fork app started alone: <name>-out.log, no -<id>', async () => {
    await diff.run(['start', 'hold.js', '-n', 'plain']);
    expect((await samePaths())[0]).toMatchObject({ 'pm2_env.pm_out_log_path': '<HOME>/logs/plain-out.log', 'pm2_env.pm_pid_path': '<HOME>/pids/plain-<id>.pid' });
  });

  it('a fork app of a file that sets instances: 1 gets -<id>', async () => {
    diff.write({ 'one.config.js': `module.exports = { apps: [{ name: 'single', script: 'hold.js', instances: 1, exec_mode: 'fork' }] };` });
    await diff.run(['start', 'one.config.js']);
    expect((await samePaths())[0]).toMatchObject({ 'pm2_env.pm_out_log_path': '<HOME>/logs/single-out-<id>.log' });
  });

  it('cluster instances get -<id> on the default names', async () => {
    await diff.run(['start', 'hold.js', '-n', 'clustered', '-i', '2']);
    expect(await samePaths()).toHaveLength(2);
  });

  it("instances for all the cores without exec_mode (-i max, instances: 'max' or 0) keep one set of log files, as PM2's (pmx wrote one per instance: a tail or log shipper of <name>-out.log read nothing)", async () => {
    diff.write({ 'cores.config.js': `module.exports = { apps: [{ name: 'zero', script: 'hold.js', instances: 0 }, { name: 'named', script: 'hold.js', instances: 'max', exec_mode: 'cluster' }] };` });
    await diff.run(['start', 'hold.js', '-n', 'maxed', '-i', 'max']);
    await diff.run(['start', 'cores.config.js']);
    // PM2 starts a file's apps at once, so which of two apps' second instances gets the lower id varies: compared as sets
    const { pm2, pmx } = await settled(diff, allOnline);
    const sorted = (rows: Record<string, unknown>[]): string[] => rows.map((row) => JSON.stringify(row)).sort();
    expect(sorted(paths(pmx, 'pmx'))).toEqual(sorted(paths(pm2, 'pm2')));
    const rows = paths(pmx, 'pmx');
    const outs = (name: string) => [...new Set(rows.filter((row) => String(row['pm2_env.pm_out_log_path']).includes(`/${name}-out`)).map((row) => row['pm2_env.pm_out_log_path']))];
    expect(outs('maxed')).toEqual(['<HOME>/logs/maxed-out.log']);
    expect(outs('zero')).toEqual(['<HOME>/logs/zero-out.log']);
    // exec_mode cluster: one set per process, on both
    expect(outs('named')).toEqual(['<HOME>/logs/named-out-<id>.log']);
  });

  it('-o/-e files of several instances get -<id> before .log, and none when the name does not end in .log', async () => {
    await diff.run(['start', 'hold.js', '-n', 'own', '-i', '2', '-o', 'logs/own.log', '-e', 'logs/own.txt']);
    expect((await samePaths())[0]).toMatchObject({ 'pm2_env.pm_out_log_path': '<WORK>/logs/own-<id>.log', 'pm2_env.pm_err_log_path': '<WORK>/logs/own.txt' });
  });

  it('merge_logs keeps one set of files for every instance', async () => {
    diff.write({ 'merged.config.js': `module.exports = { apps: [{ name: 'merged', script: 'hold.js', instances: 2, merge_logs: true, out_file: './out/merged.log' }] };` });
    await diff.run(['start', 'merged.config.js']);
    expect((await samePaths())[1]).toMatchObject({ 'pm2_env.pm_out_log_path': '<WORK>/out/merged.log' });
  });

  it('replaces the characters PM2 replaces in a name (spaces, colons, underscores, slashes)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'my_app:v1 x/y']);
    expect((await samePaths())[0]).toMatchObject({ 'pm2_env.pm_out_log_path': '<HOME>/logs/my-app-v1-x-y-out.log' });
  });

  it('names the pid file of a name that ends in -<digits> as PM2 does: the id takes their place (worker-2 -> pids/worker-<id>.pid)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'worker-2']);
    const [row] = await samePaths();
    expect(row).toMatchObject({ 'pm2_env.pm_out_log_path': '<HOME>/logs/worker-2-out.log', 'pm2_env.pm_pid_path': '<HOME>/pids/worker-<id>.pid' });
    const { pmx } = await diff.jlist();
    expect(Number(diff.pmx.read(String(pmx[0]!.pm2_env.pm_pid_path)))).toBe(pmx[0]!.pid);
  });

  it('-l gives a combined log under the app name', async () => {
    await diff.run(['start', 'hold.js', '-n', 'combined', '-l']);
    expect((await samePaths())[0]).toMatchObject({ 'pm2_env.pm_log_path': '<HOME>/logs/combined.log' });
  });

  it('`start .` and `-n ..` keep their log files inside logs/', async () => {
    diff.write({ 'dotted/index.js': APPS['hold.js'] });
    await diff.run(['start', '.'], { cwd: 'dotted' });
    await diff.run(['start', 'hold.js', '-n', '..']);
    const all = await samePaths();
    for (const row of all) expect(String(row['pm2_env.pm_out_log_path'])).toMatch(/^<HOME>\/logs\/[^/]+$/);
  });
});

describe('log contents', () => {
  const read = async (side: Side, entry: JlistEntry, key: string, text: string): Promise<string> =>
    until(`${side.name} ${key} to hold '${text}'`, async () => {
      const content = side.read(String(entry.pm2_env[key]));
      return content.includes(text) ? content : null;
    });

  it('stdout and stderr lines land in the out and error files, and both in the combined log', async () => {
    await diff.run(['start', 'hold.js', '-n', 'writes', '-l']);
    const { pm2, pmx } = await diff.jlist();
    for (const [side, entry] of [[diff.pm2, pm2[0]!], [diff.pmx, pmx[0]!]] as const) {
      expect(await read(side, entry, 'pm_out_log_path', 'out line of writes')).toBe('out line of writes\n');
      expect(await read(side, entry, 'pm_err_log_path', 'err line of writes')).toBe('err line of writes\n');
      const combined = await read(side, entry, 'pm_log_path', 'err line');
      expect(combined.split('\n').sort()).toEqual(['', 'err line of writes', 'out line of writes']);
    }
  });

  it('--time prefixes each line with the time, in PM2 format', async () => {
    await diff.run(['start', 'hold.js', '-n', 'timed', '--time']);
    const { pm2, pmx } = await diff.jlist();
    for (const [side, entry] of [[diff.pm2, pm2[0]!], [diff.pmx, pmx[0]!]] as const) {
      expect(await read(side, entry, 'pm_out_log_path', 'out line')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: out line of timed\n$/);
    }
  });

  it('logs --nostream prints the tail with PM2 prefixes; flush empties the files', async () => {
    await diff.run(['start', 'hold.js', '-n', 'tailed']);
    const { pm2, pmx } = await diff.jlist();
    await read(diff.pm2, pm2[0]!, 'pm_err_log_path', 'err line');
    await read(diff.pmx, pmx[0]!, 'pm_err_log_path', 'err line');
    const shown = await diff.run(['logs', 'tailed', '--nostream', '--lines', '5']);
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
    expect(lines(shown.pmx.stdout)).toEqual(lines(shown.pm2.stdout));
    const flushed = await diff.run(['flush', 'tailed']);
    expect({ pm2: flushed.pm2.code, pmx: flushed.pmx.code }).toEqual({ pm2: 0, pmx: 0 });
    expect(diff.pmx.read(String(pmx[0]!.pm2_env.pm_out_log_path))).toBe(diff.pm2.read(String(pm2[0]!.pm2_env.pm_out_log_path)));
    expect(diff.pmx.read(String(pmx[0]!.pm2_env.pm_out_log_path))).toBe('');
  });

  it("flush of everything empties the manager's own log too (pm2.log, agent.log), as it empties the apps'", async () => {
    await diff.run(['start', 'hold.js', '-n', 'flushed-all']);
    const own = { pm2: join(diff.pm2.home, 'pm2.log'), pmx: join(diff.pmx.home, 'agent.log') };
    expect([statSync(own.pm2).size, statSync(own.pmx).size].every((size) => size > 0)).toBe(true);
    const flushed = await diff.run(['flush']);
    expect({ pm2: flushed.pm2.code, pmx: flushed.pmx.code }).toEqual({ pm2: 0, pmx: 0 });
    expect({ pm2: statSync(own.pm2).size, pmx: statSync(own.pmx).size }).toEqual({ pm2: 0, pmx: 0 });
  });

  it('logs --raw keeps the headers on stdout, drops the prefixes, and prints the stderr lines on stderr', async () => {
    await diff.run(['start', 'hold.js', '-n', 'rawed']);
    const { pm2, pmx } = await diff.jlist();
    await read(diff.pm2, pm2[0]!, 'pm_err_log_path', 'err line');
    await read(diff.pmx, pmx[0]!, 'pm_err_log_path', 'err line');
    await read(diff.pm2, pm2[0]!, 'pm_out_log_path', 'out line');
    await read(diff.pmx, pmx[0]!, 'pm_out_log_path', 'out line');
    const shown = await diff.run(['logs', 'rawed', '--raw', '--nostream', '--lines', '3']);
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '').sort();
    expect(lines(shown.pmx.stdout)).toEqual(lines(shown.pm2.stdout));
    expect(lines(shown.pmx.stderr)).toEqual(lines(shown.pm2.stderr));
    expect(lines(shown.pmx.stderr)).toEqual(['err line of rawed']);
  });

  it("logs --raw of every process leaves the manager's own log out, and --out with --err shows the error log, as PM2 does", async () => {
    await diff.run(['start', 'hold.js', '-n', 'rawall']);
    const { pm2, pmx } = await diff.jlist();
    for (const [side, entry] of [[diff.pm2, pm2[0]!], [diff.pmx, pmx[0]!]] as const) {
      await read(side, entry, 'pm_err_log_path', 'err line');
      await read(side, entry, 'pm_out_log_path', 'out line');
    }
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '').sort();
    const all = await diff.run(['logs', '--raw', '--nostream', '--lines', '3']);
    expect(lines(all.pmx.stdout)).toEqual(lines(all.pm2.stdout));
    expect(lines(all.pmx.stdout)).toContain('out line of rawall');
    const both = await diff.run(['logs', 'rawall', '--out', '--err', '--nostream', '--lines', '3']);
    expect(lines(both.pmx.stdout)).toEqual(lines(both.pm2.stdout));
    expect(lines(both.pmx.stdout).join('\n')).toContain('err line of rawall');
    expect(lines(both.pmx.stdout).join('\n')).not.toContain('out line of rawall');
  });

  it('logs --json streams new lines and every process event, one JSON object a line, as PM2 does', async () => {
    diff.write({ 'tick.js': "setInterval(() => console.log('tick'), 100);\n" });
    await diff.run(['start', 'tick.js', '-n', 'jsoned']);
    // the stream is listening once a tick came through it; the restart is told once it came back
    const script = [
      'pm logs jsoned --json > stream.txt 2>&1 & streamer=$!',
      'for i in $(seq 100); do grep -q \'"type":"out"\' stream.txt && break; sleep 0.1; done',
      'pm restart jsoned >/dev/null 2>&1',
      'for i in $(seq 100); do grep -q \'"status":"restart"\' stream.txt && break; sleep 0.1; done',
      'kill -INT $streamer; wait $streamer; cat stream.txt',
    ].join('\n');
    const { pm2, pmx } = await diff.sh(script, { timeoutMs: 30_000 });
    const read = (text: string) => {
      const all = text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      const events = all.filter((record) => record.type === 'process_event' && record.app_name === 'jsoned').map((record) => record.status).filter((status, index, list) => status !== list[index - 1]);
      // PM2 under load hands over two ticks as one message ('ticktick'): pmx's own are checked line by line below
      const lines = [...new Set(all.filter((record) => record.type !== 'process_event').map((record) => `${record.type} ${String(record.message).replace(/(tick\s*)+/g, 'tick')} ${record.app_name}`))];
      const shapes = [...new Set(all.map((record) => Object.keys(record).sort().join(',')))].sort();
      return { events, lines, shapes, stamped: all.every((record) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(record.timestamp))) };
    };
    expect(read(pmx.stdout)).toEqual(read(pm2.stdout));
    expect(read(pmx.stdout)).toMatchObject({ events: ['exit', 'online', 'restart'], lines: ['out tick jsoned'], stamped: true });
    const messages = pmx.stdout.split('\n').filter((line) => line.includes('"type":"out"')).map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages.length).toBeGreaterThan(0);
    expect(new Set(messages)).toEqual(new Set(['tick']));
  });

  it("logs --nostream of all: the manager's own log first, then each file oldest written first, each shared file once", async () => {
    // err written 300 ms before out: PM2 orders the files by when they were last written
    diff.write({
      'late.js': "console.error('err line of ' + process.env.name); setTimeout(() => console.log('out line of ' + process.env.name), 300); setInterval(() => {}, 1000);",
      'shared.config.js': `module.exports = { apps: [{ name: 'shared', script: 'late.js', instances: 2, merge_logs: true, out_file: './out/shared.log', error_file: './out/shared-err.log' }] };`,
    });
    await diff.run(['start', 'late.js', '-n', 'first']);
    for (const [side, entry] of [[diff.pm2, (await diff.jlist()).pm2[0]!], [diff.pmx, (await diff.jlist()).pmx[0]!]] as const) await read(side, entry, 'pm_out_log_path', 'out line');
    await diff.run(['start', 'shared.config.js']);
    const { pm2, pmx } = await settled(diff, allOnline);
    for (const [side, list] of [[diff.pm2, pm2], [diff.pmx, pmx]] as const) {
      await read(side, list.find((entry) => entry.name === 'shared')!, 'pm_out_log_path', 'out line of shared\nout line of shared');
    }
    const shown = await diff.run(['logs', '--nostream', '--lines', '3']);
    // the managers' own logs differ in path and words: each is one block here
    const shape = (text: string): string[] =>
      text
        .split('\n')
        .map((line) => (/^(PM2|PMX) +\| /.test(line) ? '<DAEMON LINE>' : line.replace(/^<HOME>\/(pm2|agent)\.log /, '<DAEMON LOG> ')))
        .filter((line, index, all) => line !== '<DAEMON LINE>' || all[index - 1] !== '<DAEMON LINE>');
    expect(shape(shown.pmx.stdout)).toEqual(shape(shown.pm2.stdout));
    expect(shape(shown.pmx.stdout).slice(0, 3)).toEqual(['[TAILING] Tailing last 3 lines for [all] processes (change the value with --lines option)', '<DAEMON LOG> last 3 lines:', '<DAEMON LINE>']);
    expect(shown.pmx.stdout.indexOf('first-error.log last')).toBeLessThan(shown.pmx.stdout.indexOf('first-out.log last'));
    expect(shown.pmx.stdout.split('shared.log last').length).toBe(2);
  });

  it('the log files exist from the start, empty, for an app that writes nothing (tail -f works)', async () => {
    diff.write({ 'quiet.js': 'setInterval(() => {}, 1000);' });
    await diff.run(['start', 'quiet.js', '-n', 'quiet', '-l']);
    const { pm2, pmx } = await settled(diff, allOnline);
    const files = (side: Side, entry: JlistEntry) =>
      ['pm_out_log_path', 'pm_err_log_path', 'pm_log_path'].map((key) => {
        const path = side.real(String(entry.pm2_env[key]));
        return existsSync(path) ? statSync(path).size : 'missing';
      });
    expect(files(diff.pmx, pmx[0]!)).toEqual(files(diff.pm2, pm2[0]!));
    expect(files(diff.pmx, pmx[0]!)).toEqual([0, 0, 0]);
  });

  it('out_file /dev/null discards the output', async () => {
    await diff.run(['start', 'hold.js', '-n', 'silent', '-o', '/dev/null']);
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.pm_out_log_path'])).toEqual(project(pm2, ['pm2_env.pm_out_log_path']));
  });
});
