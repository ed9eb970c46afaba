// Log files against real writers: whole lines only, rotation that loses and duplicates nothing,
// compression and retention, stamps, /dev/null, an unwritable path, flush and reloadLogs.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

function ecosystem(name: string, app: Record<string, unknown>): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name, script: join(apps, 'writer.js'), ...app })}] };`);
  return file;
}

/** Every line of a log and its rotated siblings (gunzipped), oldest first. */
function allLines(dir: string, base: string): string[] {
  const files = readdirSync(dir).filter((name) => name === `${base}.log` || name.startsWith(`${base}__`)).sort();
  const current = `${base}.log`;
  const ordered = [...files.filter((name) => name !== current), ...(files.includes(current) ? [current] : [])];
  return ordered.flatMap((name) => {
    const raw = readFileSync(join(dir, name));
    return (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter(Boolean);
  });
}

function expectEveryLineOnce(lines: string[], tag: string, count: number): void {
  const seen = new Set<number>();
  for (const line of lines) {
    const match = new RegExp(`^${tag} line-(\\d+) x*\\.$`).exec(line);
    expect(match, `a whole line, got ${JSON.stringify(line.slice(0, 80))}`).not.toBeNull();
    const n = Number(match![1]);
    expect(seen.has(n), `line ${n} twice`).toBe(false);
    seen.add(n);
  }
  expect(seen.size).toBe(count);
}

async function waitDone(name: string, expected = 1): Promise<void> {
  const proc = await pmx.proc(name);
  await eventually(`${name} to finish writing`, () => {
    const err = existsSync(proc.pm2_env.pm_err_log_path) ? readFileSync(proc.pm2_env.pm_err_log_path, 'utf8') : '';
    return (err.match(/^done/gm) ?? []).length >= expected;
  }, 20_000);
}

describe('log files', () => {
  it('rotates every 1 MB while the app writes, losing and duplicating no line', async () => {
    const dir = join(pmx.dir, 'rot');
    const file = ecosystem('rot', { out_file: join(dir, 'rot.log'), error_file: join(dir, 'rot-err.txt'), env: { COUNT: '100000', WIDTH: '100', TAG: 'r' }, log_rotate: { max_size: '1M', retain: 100 } });
    await pmx.ok(['start', file]);
    await waitDone('rot');
    const rotated = readdirSync(dir).filter((name) => name.startsWith('rot__'));
    expect(rotated.length).toBeGreaterThanOrEqual(9);
    expectEveryLineOnce(allLines(dir, 'rot'), 'r', 100_000);
    await pmx.ok(['delete', 'rot']);
  });

  it('compresses rotated files and keeps only `retain` of them', async () => {
    const dir = join(pmx.dir, 'gz');
    const file = ecosystem('gz', { out_file: join(dir, 'gz.log'), error_file: join(dir, 'gz-err.txt'), env: { COUNT: '20000', WIDTH: '100', TAG: 'g' }, log_rotate: { max_size: '200K', retain: 2, compress: true } });
    await pmx.ok(['start', file]);
    await waitDone('gz');
    const rotated = await eventually('compression and pruning to settle', () => {
      const names = readdirSync(dir).filter((name) => name.startsWith('gz__'));
      return names.length === 2 && names.every((name) => name.endsWith('.gz')) ? names : null;
    });
    for (const name of rotated) {
      for (const line of gunzipSync(readFileSync(join(dir, name))).toString().split('\n').filter(Boolean)) expect(line).toMatch(/^g line-\d+ x*\.$/);
    }
    await pmx.ok(['delete', 'gz']);
  });

  it('merges the lines of two instances into one file without ever splitting a line', async () => {
    const file = join(pmx.dir, 'merged.config.js');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'merged', script: join(apps, 'writer.js'), instances: 2, exec_mode: 'fork', merge_logs: true, out_file: join(pmx.dir, 'merged.log'), env: { COUNT: '30000', WIDTH: '150', TAG: 'm' } })}] };`);
    await pmx.ok(['start', file]);
    await waitDone('merged', 2);
    const lines = readFileSync(join(pmx.dir, 'merged.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(60_000);
    for (const line of lines) expect(line).toMatch(/^m line-\d+ x*\.$/);
    await pmx.ok(['delete', 'merged']);
  });

  it('stamps lines with --time, log_date_format and log_type json; /dev/null discards', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'stamped', '--log-date-format', '[at] YYYY', '-e', '/dev/null']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'jsonl', '--log-type', 'json']);
    const stamped = await pmx.proc('stamped');
    expect(stamped.pm2_env.pm_err_log_path).toBe('/dev/null');
    const line = await eventually('a stamped line', () => readFileSync(stamped.pm2_env.pm_out_log_path, 'utf8').split('\n')[0]);
    expect(line).toMatch(/^at \d{4}: forever \d+/);
    const jsonl = await pmx.proc('jsonl');
    const record = await eventually('a json line', () => readFileSync(jsonl.pm2_env.pm_err_log_path, 'utf8').split('\n')[0]);
    expect(JSON.parse(record)).toMatchObject({ message: 'to stderr\n', type: 'err', app_name: 'jsonl', process_id: jsonl.pm_id });
    // stamped as PM2 stamps a JSON record: ISO 8601 in UTC, with milliseconds, whatever the zone
    const { timestamp } = JSON.parse(record) as { timestamp: string };
    expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('writes a line the app has not ended (a prompt, progress dots) once it has waited a second, and the rest after it on the same line, stamped once (it waited for a newline for ever)', async () => {
    const script = join(pmx.dir, 'no-newline.js');
    writeFileSync(script, "process.stdout.write('Listening on 3000');\nsetInterval(() => process.stdout.write('.'), 300);\n");
    await pmx.ok(['start', script, '-n', 'prompt', '--time']);
    const { pm2_env: env } = await pmx.proc('prompt');
    const first = await eventually('the begun line in the file', () => {
      const read = readFileSync(env.pm_out_log_path, 'utf8');
      return read.includes('Listening on 3000') ? read : null;
    }, 5000);
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}: Listening on 3000\.*$/);
    // the dots that came since follow it, on the same line, with no second stamp
    const later = await eventually('more of the line', () => {
      const read = readFileSync(env.pm_out_log_path, 'utf8');
      return read.length > first.length ? read : null;
    }, 5000);
    expect(later).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}: Listening on 3000\.+$/);
    await pmx.ok(['delete', 'prompt']);
  });

  it('keeps an app running when its log path cannot be written, and says why in describe', async () => {
    const blocker = join(pmx.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'nolog', '-o', join(blocker, 'out.log')]);
    const proc = await eventually('the log error', async () => {
      const p = await pmx.proc('nolog');
      return p.pm2_env.pmx_error ? p : null;
    });
    expect(proc.pm2_env.status).toBe('online');
    expect(proc.pm2_env.pmx_error).toContain(join(blocker, 'out.log'));
    expect(await pmx.ok(['describe', 'nolog'])).toContain('cannot write log file');
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain('cannot write log file');
  });

  it('makes a log removed by hand again at the next restart or start, and lets go of the removed file (its space came back only when the agent ended)', async () => {
    const file = ecosystem('removed', { env: { COUNT: '3', TAG: 'r' } });
    await pmx.ok(['start', file]);
    await waitDone('removed');
    const { pm2_env: env } = await pmx.proc('removed');
    const agent = Number(readFileSync(join(pmx.home, 'agent.pid'), 'utf8'));
    const held = (): string[] => readdirSync(`/proc/${agent}/fd`).flatMap((fd) => { try { return [readlinkSync(`/proc/${agent}/fd/${fd}`)]; } catch { return []; } });
    expect(held()).toContain(env.pm_out_log_path);
    rmSync(env.pm_out_log_path);
    await pmx.ok(['restart', 'removed']);
    await eventually('the lines of the restart in a new file', () => existsSync(env.pm_out_log_path) && readFileSync(env.pm_out_log_path, 'utf8').includes('r line-2'));
    expect(held()).not.toContain(`${env.pm_out_log_path} (deleted)`);
    // the same for a stop, a removal and a start
    await pmx.ok(['stop', 'removed']);
    rmSync(env.pm_out_log_path);
    await pmx.ok(['start', 'removed']);
    await eventually('the lines of the start in a new file', () => existsSync(env.pm_out_log_path) && readFileSync(env.pm_out_log_path, 'utf8').includes('r line-2'));
    expect(held()).not.toContain(`${env.pm_out_log_path} (deleted)`);
    await pmx.ok(['delete', 'removed']);
  });

  it('writes as a restart says from that restart on: --time stamps the lines, a new out_file or log_date_format of the ecosystem file applies (they waited for the next agent)', async () => {
    const file = ecosystem('retold', { env: { COUNT: '2', TAG: 't' } });
    await pmx.ok(['start', file]);
    await waitDone('retold');
    const first = (await pmx.proc('retold')).pm2_env.pm_out_log_path;
    expect(readFileSync(first, 'utf8')).toMatch(/^t line-0 x*\.\n/);
    await pmx.ok(['restart', 'retold', '--time']);
    await eventually('stamped lines', () => /\n\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}: t line-1 x*\.\n$/.test(readFileSync(first, 'utf8')));
    const moved = join(pmx.dir, 'retold-moved.log');
    ecosystem('retold', { env: { COUNT: '2', TAG: 'm' }, out_file: moved, log_date_format: '[on] YYYY' });
    await pmx.ok(['restart', file, '--update-env']);
    await eventually('the lines in the new file, stamped its way', () => existsSync(moved) && /^on \d{4}: m line-0 x*\.\non \d{4}: m line-1/.test(readFileSync(moved, 'utf8')));
    expect((await pmx.proc('retold')).pm2_env.pm_out_log_path).toBe(moved);
    expect(readFileSync(first, 'utf8')).not.toContain('m line');
    const agent = Number(readFileSync(join(pmx.home, 'agent.pid'), 'utf8'));
    // the old file is given back
    expect(readdirSync(`/proc/${agent}/fd`).map((fd) => { try { return readlinkSync(`/proc/${agent}/fd/${fd}`); } catch { return ''; } })).not.toContain(first);
    await pmx.ok(['delete', 'retold']);
  });

  it('flush empties the files; reloadLogs reopens them after an external move', async () => {
    const dir = join(pmx.dir, 'ext');
    mkdirSync(dir);
    const file = ecosystem('ext', { out_file: join(dir, 'ext.log'), env: { COUNT: '10', TAG: 'e' } });
    await pmx.ok(['start', file]);
    await waitDone('ext');
    await pmx.ok(['flush', 'ext']);
    expect(readFileSync(join(dir, 'ext.log'), 'utf8')).toBe('');
    renameSync(join(dir, 'ext.log'), join(dir, 'ext.log.1'));
    const count = (await pmx.jlist()).length;
    // the processes, not their files (each has an out and an error file)
    expect(await pmx.ok(['reloadLogs'])).toContain(`Reopened the logs of ${count} process${count === 1 ? '' : 'es'}`);
    await pmx.ok(['restart', 'ext']);
    await eventually('lines in the reopened file', () => existsSync(join(dir, 'ext.log')) && readFileSync(join(dir, 'ext.log'), 'utf8').includes('e line-9'));
    expect(readFileSync(join(dir, 'ext.log.1'), 'utf8')).toBe('');
  });
});
