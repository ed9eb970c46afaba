// Log files under faults and with secrets: created 0600 (or log_mode), a full disk shown by ls and
// describe while it lasts and recovered from by itself once space is free (the log removed to free
// it included), with only whole lines in the file; a 5 MB line stays one line when stamped (--time) or wrapped in JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { fillDisk, mountSmallDisk } from '../../helpers/small-disk.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);
/** The mode of what is at `path`, or null while nothing is (between a rotation's rename and the new file). */
const modeOfOrNull = (path: string): string | null => {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? (stats.mode & 0o777).toString(8) : null;
};

describe('log file modes', () => {
  it('creates the files named by -o, -e and -l, the default ones and the pid files, 0600 whatever the umask', async () => {
    const dir = join(pmx.dir, 'named');
    const out = join(dir, 'out.log');
    const err = join(dir, 'err.log');
    const combined = join(dir, 'all.log');
    // a umask of 0 in the CLI that starts the agent would make them 0666
    const started = spawnSync('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, PMX_BIN, 'start', join(apps, 'forever.js'), '-n', 'named', '-o', out, '-e', err, '-l', combined], {
      env: pmx.env(),
      encoding: 'utf8',
    });
    expect(started.status, started.stderr).toBe(0);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'defaults']);
    const defaults = await pmx.proc('defaults');
    await eventually('every log file written', () => [out, err, combined, defaults.pm2_env.pm_out_log_path, defaults.pm2_env.pm_err_log_path].every((file) => existsSync(file) && statSync(file).size > 0));
    const named = await pmx.proc('named');
    const pidFiles = [named.pm2_env.pm_pid_path, defaults.pm2_env.pm_pid_path] as string[];
    for (const file of [out, err, combined, defaults.pm2_env.pm_out_log_path, defaults.pm2_env.pm_err_log_path, ...pidFiles]) expect(`${file}: ${modeOf(file)}`).toBe(`${file}: 600`);
    expect(readFileSync(pidFiles[0]!, 'utf8')).toBe(String(named.pid));
    await pmx.ok(['delete', 'all']);
  });

  it('creates them with log_mode when the ecosystem file asks, rotated and compressed files included', async () => {
    const dir = join(pmx.dir, 'shared');
    const file = join(pmx.dir, 'mode.config.js');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'grouped', script: join(apps, 'writer.js'), out_file: join(dir, 'out.log'), error_file: join(dir, 'err.log'), log_mode: '0640', log_rotate: { max_size: '100K', compress: true }, env: { COUNT: '5000', WIDTH: '100', TAG: 'g' } })}] };`);
    await pmx.ok(['start', file]);
    const gz = await eventually('a compressed rotation', () => {
      const names = spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter((name) => name.endsWith('.gz'));
      return names.length > 0 ? join(dir, names[0]!) : null;
    });
    // a rotation renames the log, then makes the new one: a look between the two finds no file
    // (as with logrotate's create), so the path is read once a file is there
    const fresh = await eventually('the log at its path', () => modeOfOrNull(join(dir, 'out.log')));
    expect(fresh).toBe('640');
    expect(modeOf(gz)).toBe('640');
    await pmx.ok(['delete', 'grouped']);
  });
});

describe('a log file removed by hand while rotation is on', () => {
  it('a new file is started at the path at the next rotation: nothing grows unseen, and no error is repeated', async () => {
    const dir = join(pmx.dir, 'removed');
    mkdirSync(dir);
    const app = join(dir, 'chatty.js');
    writeFileSync(app, "setInterval(() => console.log('x'.repeat(1000)), 2);\n");
    const out = join(dir, 'out.log');
    const file = join(dir, 'removed.config.js');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'chatty', script: app, out_file: out, log_rotate: { max_size: '100K', retain: 2 } })}] };`);
    await pmx.ok(['start', file]);
    await eventually('output', () => existsSync(out) && statSync(out).size > 0);
    const removed = statSync(out).ino;
    rmSync(out);
    await eventually('a new file at the path, written to', () => existsSync(out) && statSync(out).ino !== removed && statSync(out).size > 0);
    const agent = pmx.agentPid()!;
    const held = spawnSync('ls', ['-l', `/proc/${agent}/fd`], { encoding: 'utf8' }).stdout;
    expect(held).not.toContain(`${out} (deleted)`);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain(`cannot rotate ${out}`);
    await pmx.ok(['delete', 'chatty']);
  });
});

describe('a full disk', () => {
  const disk = join(pmx.dir, 'small-disk');
  const log = join(disk, 'ticker.log');
  const filler = join(disk, 'filler');

  beforeAll(() => {
    mkdirSync(disk);
    mountSmallDisk(disk, '256k');
  });

  afterAll(async () => {
    await pmx.run(['delete', 'ticker']);
    spawnSync('umount', ['-l', disk]);
  });

  const fill = (): void => fillDisk(filler);
  const ticks = (): number[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => {
    const match = /^tick (\d+)$/.exec(line);
    if (!match) throw new Error(`not a whole line: ${JSON.stringify(line)}`);
    return Number(match[1]);
  });

  it('is shown by ls and describe while writing fails, and writing resumes by itself once space is free', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'ticker', '-o', log, '-e', join(disk, 'ticker-err.log')], { env: { EVERY: '10' } });
    await eventually('ticks in the log', () => existsSync(log) && ticks().length > 5);
    fill();
    const failing = await eventually('the failure in jlist', async () => {
      const proc = await pmx.proc('ticker');
      return typeof proc.pm2_env.pmx_log_error === 'string' ? proc.pm2_env.pmx_log_error : null;
    });
    expect(failing).toContain(`cannot write log file ${log}: ENOSPC`);
    const listed = await pmx.ok(['ls']);
    const { pm_id } = await pmx.proc('ticker');
    expect(listed).toContain(`[PMX][WARN] ticker (id ${pm_id}): logs are not being written: cannot write log file ${log}: ENOSPC`);
    expect(await pmx.ok(['describe', 'ticker'])).toMatch(/log writing\s+│ failing: cannot write log file .*ENOSPC/);
    expect((await pmx.proc('ticker')).pm2_env.status).toBe('online'); // the app never blocks on its logs
    const lastBefore = Math.max(...ticks());

    rmSync(filler);
    // jlist has PM2's shape: pmx's own keys are left out while they carry nothing
    await eventually('the failure gone from jlist', async () => !(await pmx.proc('ticker')).pm2_env.pmx_log_error);
    await eventually('new ticks in the log', () => Math.max(...ticks()) > lastBefore + 5);
    expect(await pmx.ok(['ls'])).not.toContain('[PMX][WARN]');
    expect(await pmx.ok(['describe', 'ticker'])).not.toContain('log writing');
    expect(readFileSync(log, 'utf8').endsWith('\n')).toBe(true);
    ticks(); // every line whole: none was cut when the disk filled
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(new RegExp(`writing log file ${log} again after \\d+ s; \\d+ bytes of output were dropped meanwhile`));
  });

  it('is not shown for an app stopped while writing failed: it writes nothing any more', async () => {
    await eventually('ticks in the log', () => existsSync(log) && ticks().length > 5);
    fill();
    await eventually('the failure in jlist', async () => typeof (await pmx.proc('ticker')).pm2_env.pmx_log_error === 'string');
    await pmx.ok(['stop', 'ticker']);
    expect((await pmx.proc('ticker')).pm2_env.pmx_log_error).toBeUndefined();
    expect(await pmx.ok(['ls'])).not.toContain('[PMX][WARN]');
    rmSync(filler);
  });

  it('resumes in a new file when the admin removes the log that filled the disk: the agent lets go of the removed file, freeing its space', async () => {
    const app = join(pmx.dir, 'filling.js');
    writeFileSync(app, "let n = 0;\nsetInterval(() => console.log(`fill ${n++} ${'x'.repeat(1000)}`), 2);\n");
    const full = join(disk, 'filling.log');
    await pmx.ok(['start', app, '-n', 'filling', '-o', full, '-e', join(pmx.dir, 'filling-err.log')]);
    await eventually('the full disk in jlist', async () => typeof (await pmx.proc('filling')).pm2_env.pmx_log_error === 'string');
    const removed = statSync(full).ino;
    rmSync(full);
    await eventually('writing again, into a new file at the path', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes(`writing log file ${full} again after`), 15_000);
    expect(statSync(full).ino).not.toBe(removed);
    const held = spawnSync('ls', ['-l', `/proc/${pmx.agentPid()}/fd`], { encoding: 'utf8' }).stdout;
    expect(held).not.toContain(`${full} (deleted)`);
    await pmx.ok(['delete', 'filling']);
    rmSync(full);
  });
});

describe('a 5 MB line', () => {
  const longLine = join(pmx.dir, 'long-line.js');
  const MB = 1024 * 1024;
  beforeAll(() => {
    // 5 MB of a 3-byte character, so that pieces of the line are cut inside characters; then a short line
    writeFileSync(longLine, "process.stdout.write('€'.repeat(5 * 1024 * 1024 / 3) + '\\n', () => console.log('after'));\nsetInterval(() => {}, 1000);\n");
  });

  async function linesOf(name: string, flags: string[]): Promise<string[]> {
    const out = join(pmx.dir, `${name}.log`);
    await pmx.ok(['start', longLine, '-n', name, '-o', out, ...flags]);
    await eventually('both lines written', () => existsSync(out) && readFileSync(out, 'utf8').includes('after'));
    await pmx.ok(['delete', name]);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text.slice(0, -1).split('\n');
  }

  const line = '€'.repeat((5 * MB) / 3);

  it('stays one line in raw mode', async () => {
    expect(await linesOf('raw', [])).toEqual([line, 'after']);
  });

  it('stays one line with --time, stamped once', async () => {
    const [first, second, ...rest] = await linesOf('stamped', ['--time']);
    expect(rest).toEqual([]);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: €+$/);
    expect(first!.slice(first!.indexOf(': ') + 2)).toBe(line);
    expect(second).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: after$/);
  });

  it("stays one JSON object with log_type 'json'", async () => {
    const file = join(pmx.dir, 'json.config.js');
    const out = join(pmx.dir, 'json.log');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'json', script: longLine, out_file: out, log_type: 'json' })}] };`);
    await pmx.ok(['start', file]);
    await eventually('both lines written', () => existsSync(out) && readFileSync(out, 'utf8').includes('after'));
    await pmx.ok(['delete', 'json']);
    const objects = readFileSync(out, 'utf8').trimEnd().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(objects.map((object) => object.message)).toEqual([`${line}\n`, 'after\n']);
    expect(objects[0]).toMatchObject({ type: 'out', process_id: expect.any(Number), app_name: 'json', timestamp: expect.any(String) });
    expect(Object.keys(objects[0]!)).toEqual(['message', 'timestamp', 'type', 'process_id', 'app_name']);
  });
});

describe('a compression that fills the disk', () => {
  const disk = join(pmx.dir, 'compress-disk');
  beforeAll(() => {
    mkdirSync(disk);
    mountSmallDisk(disk, '512k');
  });
  afterAll(async () => {
    await pmx.run(['delete', 'noisy']);
    spawnSync('umount', ['-l', disk]);
  });

  it('removes its partial .gz at once, keeping the rotated file, so writing resumes (regression: the half-written .gz held the disk full and logging failed for ever)', async () => {
    // ~420 KB that barely compresses, then a tick every 50 ms: the 300K rotated file and the new
    // log leave no room for its .gz
    const app = join(pmx.dir, 'noisy.js');
    writeFileSync(app, "const { randomBytes } = require('node:crypto');\nfor (let i = 0; i < 2000; i++) console.log(`burst ${i} ${randomBytes(150).toString('base64')}`);\nlet n = 0;\nsetInterval(() => console.log(`tick ${n++}`), 50);\n");
    const log = join(disk, 'noisy.log');
    const file = join(pmx.dir, 'noisy.config.js');
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'noisy', script: app, out_file: log, error_file: join(pmx.dir, 'noisy-err.log'), log_rotate: { max_size: '300K', retain: 5, compress: true } })}] };`);
    await pmx.ok(['start', file]);
    await eventually('the compression failing', () => /cannot finish rotating .*ENOSPC/.test(readFileSync(join(pmx.home, 'agent.log'), 'utf8')), 15_000);
    const names = readdirSync(disk);
    expect(names.filter((name) => name.includes('.gz'))).toEqual([]);
    const rotated = names.filter((name) => name.startsWith('noisy__'));
    expect(rotated).toHaveLength(1);
    expect(readFileSync(join(disk, rotated[0]!), 'utf8')).toMatch(/^burst 0 /);
    const lastTick = (): number => Math.max(-1, ...[...readFileSync(log, 'utf8').matchAll(/^tick (\d+)$/gm)].map((match) => Number(match[1])));
    const before = lastTick();
    await eventually('new ticks in the log', () => lastTick() > before + 20, 10_000);
    await eventually('the failure gone from jlist', async () => !(await pmx.proc('noisy')).pm2_env.pmx_log_error);
  });
});
