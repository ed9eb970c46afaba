// `pmx monit`'s log panel (LogTail) on a real app's files that the agent rotates between two polls:
// the lines come through whole and in order, and a prune is said in the panel.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogTail } from '../../../cli/commands/log-tail.js';
import { PmxSandbox, eventually } from '../../helpers/pmx.js';

const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

/** About 100 bytes a line, a line every 5 ms: a 1,000-byte file is rotated every 50 ms. */
const FAST_TICKER = "let n = 0;\nsetInterval(() => console.log(`tick ${n++} ${'x'.repeat(90)}`), 5);\n";

/** A fast ticker rotated as `logRotate` says, its out file tailed; the tail is not polled for 5 rotations, then polled until it is past them. */
async function tailThroughRotations(name: string, logRotate: { retain?: number; compress?: boolean }): Promise<{ tail: LogTail; ticks: number[] }> {
  const script = join(pmx.dir, `${name}.js`);
  writeFileSync(script, FAST_TICKER);
  const config = join(pmx.dir, `${name}.config.js`);
  writeFileSync(config, `module.exports = { apps: [${JSON.stringify({ name, script, log_rotate: { max_size: '1000', ...logRotate } })}] };`);
  await pmx.ok(['start', config]);
  const { pm2_env } = await pmx.proc(name);
  const file = pm2_env.pm_out_log_path;
  await eventually('a first tick', () => readFileSync(file, 'utf8').includes('tick '));
  const tail = new LogTail([{ file, stream: 'out', rotation: pm2_env.log_rotate }], 100_000);
  const firstTick = (): number => Number(/^tick (\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? -1);
  const start = firstTick();
  await eventually('5 rotations without a poll', () => firstTick() >= start + 50);
  const ticks = (): number[] => tail.lines.flatMap(({ text }) => /^tick (\d+) x+$/.exec(text)?.[1] ?? []).map(Number);
  await eventually('ticks past the rotations', () => (tail.poll(), ticks().at(-1)! >= start + 60));
  await pmx.ok(['delete', name]);
  return { tail, ticks: ticks() };
}

describe("pmx monit's log panel across rotations", () => {
  it('shows the lines of every file rotated between two polls, in order (it went on from the start of the new file, and the lines in between were never shown)', async () => {
    // 20 rotations a second: with the default retain (30) a poll held up 1.5 s on a loaded machine
    // finds files pruned (the next test); here none may be
    const { tail, ticks } = await tailThroughRotations('panel', { compress: true, retain: 10_000 });
    expect(ticks.length).toBeGreaterThan(60);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i], `after tick ${ticks[i - 1]}`).toBe(ticks[i - 1]! + 1);
    // the backlog starts on a whole line: the piece cut by its first read is left out
    expect(tail.lines.filter(({ text }) => !text.startsWith('[PMX]')).every(({ text }) => /^tick \d+ x+$/.test(text))).toBe(true);
  });

  it('says in the panel where rotated files were pruned before it read them', async () => {
    const { tail } = await tailThroughRotations('panel-pruned', { retain: 1 });
    expect(tail.lines.map(({ text }) => text)).toContainEqual(expect.stringMatching(/^\[PMX\] lines of \S+panel-pruned-out\.log may be missing here: its rotated files were removed \(log_rotate keeps 1\)/));
  });
});
