// Rotated files already on disk when a rotation comes: an earlier run's, or a killed agent's
// before the next one adopted the app. A rotation numbers on after them and never writes over one,
// and the compressions a killed agent left unfinished are finished when the log is opened again.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../../helpers/pmx.js';
import { pruneRotated } from '../../../agent/logs/rotated-files.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

/** A day's date format, as many pm2-logrotate users have: every rotation of a day shares the date. */
const DAILY = 'YYYY-MM-DD';

function ecosystem(name: string, app: Record<string, unknown>): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name, ...app })}] };`);
  return file;
}

/** The rotated files of `<dir>/<base>.log` and what each holds (gunzipped), by name. */
function rotatedFiles(dir: string, base: string): Map<string, string> {
  const names = readdirSync(dir).filter((name) => name.startsWith(`${base}__`));
  return new Map(names.map((name) => {
    const raw = readFileSync(join(dir, name));
    return [name, (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')];
  }));
}

/** The number a rotated name carries: 1 for `<base>__<date>.log`, n for `<base>__<date>.<n>.log`. */
const numberOf = (name: string): number => Number(/\.(\d+)\.log(\.gz)?$/.exec(name)?.[1] ?? 1);

async function waitDone(name: string, errLog: string, expected = 1): Promise<void> {
  await eventually(`${name} to finish writing`, () => existsSync(errLog) && (readFileSync(errLog, 'utf8').match(/^done/gm) ?? []).length >= expected, 20_000);
}

describe('retain', () => {
  it('keeps the newest rotated files when several share one mtime (a coarse clock, a fast rotation): the first of a date, compressed, is the oldest (regression: whole names put it last and the newest was removed)', () => {
    const dir = join(pmx.dir, 'same-mtime');
    mkdirSync(dir, { recursive: true });
    const names = ['app__2026-12-08.log.gz', 'app__2026-12-08.2.log.gz', 'app__2026-12-08.3.log', 'app__2026-12-08.10.log'];
    const when = new Date('2026-12-08T01:00:00Z');
    for (const name of names) {
      writeFileSync(join(dir, name), name);
      utimesSync(join(dir, name), when, when);
    }
    pruneRotated(join(dir, 'app.log'), DAILY, 2);
    expect(readdirSync(dir).sort()).toEqual(['app__2026-12-08.10.log', 'app__2026-12-08.3.log']);
  });
});

describe('rotation with rotated files of the same date on disk', () => {
  it('a second run of an app (delete, start) rotates into new names: the first run\'s rotated lines are all kept (regression: its first rotation replaced the first run\'s)', async () => {
    const dir = join(pmx.dir, 'rerun');
    const errLog = join(pmx.dir, 'rerun-err.log');
    const run = (tag: string): string => ecosystem('rerun', { script: join(apps, 'writer.js'), out_file: join(dir, 'rerun.log'), error_file: errLog, env: { COUNT: '3000', WIDTH: '100', TAG: tag }, log_rotate: { max_size: '100K', retain: 100, date_format: DAILY } });
    await pmx.ok(['start', run('first')]);
    await waitDone('rerun', errLog);
    const first = rotatedFiles(dir, 'rerun');
    expect(first.size).toBeGreaterThanOrEqual(2);
    await pmx.ok(['delete', 'rerun']);
    await pmx.ok(['start', run('second')]);
    await waitDone('rerun', errLog, 2);
    await pmx.ok(['delete', 'rerun']);

    const after = rotatedFiles(dir, 'rerun');
    for (const [name, text] of first) expect(after.get(name), name).toBe(text);
    expect(after.size).toBeGreaterThanOrEqual(first.size + 2);
    const lines = [...after.values(), readFileSync(join(dir, 'rerun.log'), 'utf8')].flatMap((text) => text.split('\n').filter(Boolean));
    for (const tag of ['first', 'second']) expect(new Set(lines.filter((line) => line.startsWith(`${tag} `))).size, tag).toBe(3000);
    // numbered in the order they were written: the second run's after the first's
    const highestFirst = Math.max(...[...first.keys()].map(numberOf));
    for (const name of after.keys()) if (!first.has(name)) expect(numberOf(name), name).toBeGreaterThan(highestFirst);
  });

  it('the agent that adopts an app after a SIGKILL of the last one rotates into new names: the dead agent\'s rotated files are kept, and numbers go on in order (regression: they were replaced)', async () => {
    const dir = join(pmx.dir, 'adopted');
    const app = join(pmx.dir, 'steady.js');
    // numbered lines of ~100 bytes, 50 every 20 ms, for ever
    writeFileSync(app, "let n = 0;\nsetInterval(() => { for (let i = 0; i < 50; i++) console.log(`L${n++} ${'x'.repeat(90)}`); }, 20);\n");
    await pmx.ok(['start', ecosystem('adopted', { script: app, out_file: join(dir, 'adopted.log'), log_rotate: { max_size: '100K', retain: 100, date_format: DAILY } })]);
    await eventually('two rotations', () => existsSync(dir) && rotatedFiles(dir, 'adopted').size >= 2);
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    const before = rotatedFiles(dir, 'adopted');
    await pmx.ok(['ping']); // a new agent, which adopts the app
    await eventually('two rotations by the new agent', () => rotatedFiles(dir, 'adopted').size >= before.size + 2);
    await pmx.ok(['delete', 'adopted']);

    const after = rotatedFiles(dir, 'adopted');
    for (const [name, text] of before) expect(after.get(name), name).toBe(text);
    // the first line of each file comes later with each number
    const firstLines = [...after.entries()].sort(([a], [b]) => numberOf(a) - numberOf(b)).map(([, text]) => Number(/^L(\d+) /.exec(text)![1]));
    expect(firstLines).toEqual([...firstLines].sort((a, b) => a - b));
  });
});

describe('a rotated name of another making on disk', () => {
  it('numbered past what pmx gives (2^53) is passed over: the rotation goes on and the agent answers (regression: the search for a free number never ended, the agent spun at 100 % CPU)', async () => {
    const dir = join(pmx.dir, 'huge');
    mkdirSync(dir);
    const today = new Date().toISOString().slice(0, 10);
    // the name of today by UTC and by local time (the agent formats the local date): both planted
    const local = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
    for (const day of new Set([today, local])) writeFileSync(join(dir, `huge__${day}.9007199254740992.log`), 'not ours\n');
    const errLog = join(pmx.dir, 'huge-err.log');
    await pmx.ok(['start', ecosystem('huge', { script: join(apps, 'writer.js'), out_file: join(dir, 'huge.log'), error_file: errLog, env: { COUNT: '3000', WIDTH: '100', TAG: 'huge' }, log_rotate: { max_size: '100K', retain: 100, date_format: DAILY } })]);
    await waitDone('huge', errLog);
    const listed = await pmx.run(['jlist']);
    expect(listed.code, listed.stderr).toBe(0);
    const rotated = [...rotatedFiles(dir, 'huge').keys()].filter((name) => !name.includes('9007199254740992'));
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    // the planted file is left as it was
    for (const day of new Set([today, local])) expect(readFileSync(join(dir, `huge__${day}.9007199254740992.log`), 'utf8')).toBe('not ours\n');
    await pmx.ok(['delete', 'huge']);
  });
});

describe('compressions an agent killed while it compressed left', () => {
  const lines = (tag: string): string => Array.from({ length: 2000 }, (_, i) => `${tag} line-${i} ${'x'.repeat(80)}\n`).join('');
  const old = new Date('2026-01-03T00:00:00Z');

  /** What a kill during compression leaves: a whole rotated file, and a cut .gz or a partial one beside it. */
  function interrupted(dir: string): { cut: string; partial: string; plain: string } {
    mkdirSync(dir, { recursive: true });
    const cut = join(dir, 'app__2026-01-01_00-00-00.log');
    writeFileSync(cut, lines('cut'));
    const whole = gzipSync(readFileSync(cut));
    writeFileSync(`${cut}.gz`, whole.subarray(0, whole.length / 2)); // an older pmx wrote the .gz in place
    const partial = join(dir, 'app__2026-01-02_00-00-00.log');
    writeFileSync(partial, lines('partial'));
    writeFileSync(`${partial}.gz.tmp`, 'half a gzip stream');
    const plain = join(dir, 'app__2026-01-03_00-00-00.log'); // killed before its compression began
    writeFileSync(plain, lines('plain'));
    for (const file of [cut, partial, plain]) utimesSync(file, old, old);
    return { cut, partial, plain };
  }

  async function expectFinished(dir: string, files: string[]): Promise<void> {
    await eventually('every rotated file compressed whole, nothing half-made left', () => readdirSync(dir).filter((name) => name.startsWith('app__2026')).every((name) => name.endsWith('.gz')));
    for (const file of files) {
      const tag = /__2026-01-0(\d)/.exec(file)![1] === '1' ? 'cut' : /__2026-01-02/.test(file) ? 'partial' : 'plain';
      expect(gunzipSync(readFileSync(`${file}.gz`)).toString(), file).toBe(lines(tag));
      expect(statSync(`${file}.gz`).mtimeMs, `${file}.gz keeps the rotated file's time`).toBe(old.getTime());
    }
  }

  it('are finished when the next agent opens the log: a cut .gz is made again, a partial one removed, a rotated file without one compressed (regression: a corrupt .gz stayed beside the plain file for ever)', async () => {
    const dir = join(pmx.dir, 'unfinished');
    const { cut, partial, plain } = interrupted(dir);
    writeFileSync(join(dir, 'app__notes.log'), 'not a rotated file\n');
    await pmx.ok(['start', ecosystem('unfinished', { script: join(apps, 'forever.js'), out_file: join(dir, 'app.log'), error_file: join(pmx.dir, 'unfinished-err.log'), log_rotate: { max_size: '10M', retain: 10, compress: true } })]);
    await expectFinished(dir, [cut, partial, plain]);
    expect(readFileSync(join(dir, 'app__notes.log'), 'utf8')).toBe('not a rotated file\n');
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain('not compressing');
    await pmx.ok(['delete', 'unfinished']);
  });

  it('are finished at reloadLogs too', async () => {
    const dir = join(pmx.dir, 'reloaded');
    mkdirSync(dir);
    await pmx.ok(['start', ecosystem('reloaded', { script: join(apps, 'forever.js'), out_file: join(dir, 'app.log'), error_file: join(pmx.dir, 'reloaded-err.log'), log_rotate: { max_size: '10M', retain: 10, compress: true } })]);
    await eventually('the log written', () => existsSync(join(dir, 'app.log')) && statSync(join(dir, 'app.log')).size > 0);
    const { cut, partial, plain } = interrupted(dir);
    await pmx.ok(['reloadLogs']);
    await expectFinished(dir, [cut, partial, plain]);
    await pmx.ok(['delete', 'reloaded']);
  });
});

describe('a rotation that cannot name its file', () => {
  it("a date_format writing a '/' is refused when the file is read, naming the file, the app and the key, and nothing is started (regression: size rotation was silently off, a 2K log grew to 74 KB)", async () => {
    const file = ecosystem('slash', { script: join(apps, 'forever.js'), log_rotate: { max_size: '2K', date_format: 'YYYY/MM/DD' } });
    const started = await pmx.run(['start', file]);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(/slash\.config\.js: app 'slash': `log_rotate` must be .+; its date_format must be a date format whose dates can be part of a file name \(it writes '\d{4}\/\d\d\/\d\d'/);
    expect((await pmx.jlist()).map((entry) => entry.name)).not.toContain('slash');
  });

  it('a rotation that fails is said in the agent log and in describe, once, while the log grows past max_size', async () => {
    const dir = join(pmx.dir, 'long');
    mkdirSync(dir);
    // with the date, the rotated name is longer than a file name may be (ENAMETOOLONG)
    const out = join(dir, `${'n'.repeat(240)}.log`);
    await pmx.ok(['start', ecosystem('long', { script: join(apps, 'writer.js'), out_file: out, error_file: join(dir, 'err.log'), log_rotate: { max_size: '10K' }, env: { COUNT: '500', WIDTH: '100' } })]);
    await waitDone('long', join(dir, 'err.log'));
    expect(statSync(out).size).toBeGreaterThan(40_000);
    const described = await pmx.ok(['describe', 'long']);
    expect(described).toMatch(/log writing.*cannot rotate .*ENAMETOOLONG/s);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8').split('\n').filter((line) => line.includes(`cannot rotate ${out}`))).toHaveLength(1);
    await pmx.ok(['delete', 'long']);
  });
});

describe('a log emptied outside the rotation', () => {
  it('after pmx flush, the next size rotation comes at max_size of new output (regression: the count from before the flush cut a 9 KB file with max_size 100K)', async () => {
    const dir = join(pmx.dir, 'flushed');
    mkdirSync(dir);
    const app = join(dir, 'steady.js');
    writeFileSync(app, "let n = 0;\nconsole.log(`burst ${'b'.repeat(50_000)}`);\nsetInterval(() => console.log(`tick ${n++} ${'t'.repeat(1000)}`), 50);\n");
    const out = join(dir, 'steady.log');
    await pmx.ok(['start', ecosystem('steady', { script: app, out_file: out, error_file: join(dir, 'err.log'), log_rotate: { max_size: '100K', retain: 5 } })]);
    await eventually('the burst written', () => existsSync(out) && statSync(out).size >= 50_000);
    await pmx.ok(['flush', 'steady']);
    const rotated = await eventually('a rotation', () => readdirSync(dir).find((name) => name.startsWith('steady__')), 20_000);
    const kept = readFileSync(join(dir, rotated), 'utf8');
    expect(kept).not.toContain('burst');
    expect(kept.length).toBeGreaterThanOrEqual(100 * 1024);
    await pmx.ok(['delete', 'steady']);
  });
});
