// `pmx logs` following a file that the agent rotates several times while the follower is held up
// (a slow terminal, here a stopped follower): every line is shown, from the rotated files, plain or
// compressed, and what was pruned before it could be read is said, never skipped in silence.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURES, PmxSandbox, PMX_BIN, eventually } from '../../helpers/pmx.js';

const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

/** About 100 bytes a line, a line every 5 ms: a 1,000-byte file is rotated every 50 ms. */
const FAST_TICKER = "let n = 0;\nsetInterval(() => console.log(`tick ${n++} ${'x'.repeat(90)}`), 5);\n";

/**
 * Starts a fast ticker rotated as `logRotate` says, follows it, stops the follower for at least 5
 * rotations, and lets it go on. `output`: its stdout and stderr as one stream (as a terminal shows
 * them), so that a warning is seen where it was said.
 */
async function followThroughRotations(name: string, logRotate: object): Promise<{ ticks: () => number[]; output: () => string; firstAfterStop: number; stop: () => Promise<void> }> {
  const script = join(pmx.dir, `${name}.js`);
  writeFileSync(script, FAST_TICKER);
  const config = join(pmx.dir, `${name}.config.js`);
  writeFileSync(config, `module.exports = { apps: [${JSON.stringify({ name, script, log_rotate: { max_size: '1000', ...logRotate } })}] };`);
  await pmx.ok(['start', config]);
  const file = (await pmx.proc(name)).pm2_env.pm_out_log_path;
  // exec: the pid signalled is the follower's own
  const follower = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, PMX_BIN, 'logs', name, '--out', '--lines', '0', '--raw'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  follower.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const ticks = (): number[] => [...stdout.matchAll(/^tick (\d+) x+$/gm)].map((m) => Number(m[1]));
  const stop = async (): Promise<void> => {
    follower.kill('SIGCONT');
    follower.kill('SIGINT');
    await pmx.ok(['delete', name]);
  };
  try {
    await eventually('followed ticks', () => ticks().length > 0, 15_000);
    follower.kill('SIGSTOP');
    // the follower is at most in the file at the path now; 5 rotations later it has never seen the files in between
    const firstTick = (): number => Number(/^tick (\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? -1);
    const firstAfterStop = firstTick();
    await eventually('5 rotations while the follower is stopped', () => firstTick() >= firstAfterStop + 50, 15_000);
    follower.kill('SIGCONT');
    return { ticks, output: () => stdout, firstAfterStop, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

describe('pmx logs, following across several rotations between two reads', () => {
  // 20 rotations a second: with the default retain (30) a follower held up 1.5 s on a loaded
  // machine finds files pruned, which the next test is about; here none may be
  it.each([
    { what: 'shows every line of the rotated files it had not read yet, in order (whole rotated files were skipped in silence)', name: 'fast-plain', options: { retain: 10_000 } },
    { what: 'reads the rotated files the agent compressed meanwhile', name: 'fast-gz', options: { compress: true, retain: 10_000 } },
  ])('$what', async ({ name, options }) => {
    const run = await followThroughRotations(name, options);
    try {
      const ticks = await eventually('ticks well past the stop', () => (run.ticks().at(-1)! >= run.firstAfterStop + 80 ? run.ticks() : null), 15_000);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i], `after tick ${ticks[i - 1]}`).toBe(ticks[i - 1]! + 1);
      expect(run.output()).not.toContain('[PMX]');
    } finally {
      await run.stop();
    }
  });

  it('says that lines may be missing where rotated files were pruned before it could read them', async () => {
    const run = await followThroughRotations('fast-pruned', { retain: 1 });
    try {
      const ticks = await eventually('ticks well past the stop', () => (run.ticks().at(-1)! >= run.firstAfterStop + 80 ? run.ticks() : null), 15_000);
      expect(ticks.some((tick, i) => i > 0 && tick !== ticks[i - 1]! + 1)).toBe(true);
      // each jump in the ticks is where a warning was said, and only there: the prune's, or (a file
      // listed, then pruned before it was opened: 20 rotations a second keep 1) the one naming its bytes
      const file = (await pmx.proc('fast-pruned')).pm2_env.pm_out_log_path;
      const warning = `[PMX][WARN] lines of ${file} may be missing here: its rotated files were removed (log_rotate keeps 1) before they could be shown`;
      const gap = (line: string): boolean => line === warning || /^\[PMX\]\[WARN\] (\d+ bytes|the lines) of \S+ were rotated away before they could be shown$/.test(line);
      const lines = run.output().split('\n').filter((line) => gap(line) || /^tick \d+ x+$/.test(line));
      for (let i = 1; i < lines.length; i++) {
        const [before, after] = [Number(lines[i - 1]!.split(' ')[1]), Number(lines[i]!.split(' ')[1])];
        if (!gap(lines[i]!) && !gap(lines[i - 1]!)) expect(after, `after tick ${before}`).toBe(before + 1);
      }
      expect(lines).toContain(warning);
    } finally {
      await run.stop();
    }
  });
});

describe('pmx logs --lines, just after a rotation', () => {
  it('takes the lines the file at the path lacks from its rotated files, plain or compressed (it showed the few lines of the new file only)', async () => {
    for (const [name, compress] of [['rotated-plain', false], ['rotated-gz', true]] as const) {
      const config = join(pmx.dir, `${name}.config.js`);
      const app = { name, script: join(FIXTURES, 'apps', 'writer.js'), env: { COUNT: '95', WIDTH: '100', TAG: name }, log_rotate: { max_size: '1000', compress } };
      writeFileSync(config, `module.exports = { apps: [${JSON.stringify(app)}] };`);
      await pmx.ok(['start', config]);
      const file = (await pmx.proc(name)).pm2_env.pm_out_log_path;
      // the last line may be in a rotated file already, compressed or not
      const written = (): string => readdirSync(dirname(file)).filter((entry) => entry.startsWith(`${name}-out`) && !entry.endsWith('.tmp')).map((entry) => readFileSync(join(dirname(file), entry))).map((content) => (content[0] === 0x1f ? gunzipSync(content) : content).toString()).join('');
      await eventually('all 95 lines written', () => written().includes(`${name} line-94 `));
      const shown = async (): Promise<string[]> => [...(await pmx.ok(['logs', name, '--out', '--nostream', '--raw', '--lines', '30'])).matchAll(/^\S+ (line-\d+) x*\.$/gm)].map((m) => m[1]!);
      // the last file holds fewer than 30 lines: 1,000 bytes are about 10 of them
      expect(readFileSync(file, 'utf8').split('\n').length).toBeLessThan(30);
      const rotated = (): string[] => readdirSync(dirname(file)).filter((entry) => entry.startsWith(`${name}-out__`));
      if (compress) await eventually('every rotated file compressed', () => rotated().length > 0 && rotated().every((entry) => entry.endsWith('.gz')));
      expect(await shown()).toEqual(Array.from({ length: 30 }, (_, index) => `line-${65 + index}`));
      await pmx.ok(['delete', name]);
    }
  });
});

describe('pmx logs, following into a pipe that is not read', () => {
  it('reads no faster than its output is taken, and then shows every line (it read on into memory, without bound)', async () => {
    const config = join(pmx.dir, 'flood.config.js');
    const gate = join(pmx.dir, 'flood-gate');
    const app = { name: 'flood', script: join(FIXTURES, 'apps', 'writer.js'), env: { COUNT: '400000', WIDTH: '100', TAG: 'flood', START_GATE: gate }, log_rotate: { max_size: '1M', retain: 100 } };
    writeFileSync(config, `module.exports = { apps: [${JSON.stringify(app)}] };`);
    await pmx.ok(['start', config]);
    const file = (await pmx.proc('flood')).pm2_env.pm_out_log_path;
    const follower = spawn(process.execPath, [PMX_BIN, 'logs', 'flood', '--out', '--raw', '--lines', '0'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    try {
      // the flood begins once the follower has the file open: started later (a loaded machine), it
      // began at the end of a flood already written, and waited for a last line it had not seen
      const following = (): boolean => readdirSync(`/proc/${follower.pid}/fd`).some((fd) => readlinkOrNull(`/proc/${follower.pid}/fd/${fd}`) === file);
      await eventually('the follower following', following, 20_000);
      writeFileSync(gate, '');
      // 40 MB written while nothing reads the follower's output: held in the follower's memory, they
      // took it from about 75 MB to 150 (a node process that holds little is about 75 MB)
      follower.stdout.pause();
      await eventually('the writer done', async () => (await pmx.ok(['logs', 'flood', '--err', '--nostream'])).includes('done flood'), 20_000);
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${follower.pid}/status`, 'utf8'))![1]) * 1024;
      expect(rss).toBeLessThan(110 * 1024 * 1024);
      follower.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      follower.stdout.resume();
      await eventually('the last line', () => output.includes('flood line-399999 '), 20_000);
      const numbers = [...output.matchAll(/^flood line-(\d+) x*\.$/gm)].map((m) => Number(m[1]));
      expect(numbers.at(-1)).toBe(399_999);
      expect(numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1)).toBe(true);
    } finally {
      follower.kill('SIGINT');
      await pmx.ok(['delete', 'flood']);
    }
  });
});

/** Where the link at `path` leads, or null (gone meanwhile). */
function readlinkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
