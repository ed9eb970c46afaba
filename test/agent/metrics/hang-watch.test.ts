// The hang watch judges an app by the samples that reached the agent, not by how late the agent's
// own loop runs: samples that came while the agent was busy are counted before it decides.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { watchHang } from '../../../agent/metrics/hang-watch.js';
import { eventually } from '../../helpers/pmx.js';

/** A real child that writes a line every `everyMs` (as the preload sends its samples), until `stopAfter` lines. */
function sampler(everyMs: number, stopAfter = Infinity) {
  const child = spawn(process.execPath, ['-e', `let n = 0; const t = setInterval(() => { process.stdout.write('s\\n'); if (++n >= ${stopAfter}) clearInterval(t); }, ${everyMs});`], { stdio: ['ignore', 'pipe', 'ignore'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child;
}

function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the agent's loop held, as by a long synchronous task
  }
}

describe('watchHang', () => {
  it('does not call an app hung for samples that waited while the agent itself was busy', async () => {
    const hung: number[] = [];
    const child = sampler(100);
    const watch = watchHang(500, Date.now, (blocked) => hung.push(blocked));
    onTestFinished(() => watch.stop());
    let samples = 0;
    child.stdout.on('data', () => {
      samples++;
      watch.sampled();
    });
    await eventually('the first samples', () => samples >= 2);
    busyFor(1500);
    const before = samples;
    await eventually('samples read after the busy spell', () => samples > before + 2);
    expect(hung).toEqual([]);
  });

  it("does not call an app hung for a block shorter than the timeout that began just before a sample was due (samples come each second: a 1.7 s block left a 2.7 s gap, taken for a hang past 2 s)", async () => {
    const hung: number[] = [];
    // samples a second apart, then one 2.7 s late (a 1.7 s block began as it was due), then on time again
    const child = spawn(process.execPath, ['-e', "const out = (d) => setTimeout(() => process.stdout.write('s\\n'), d); [0, 1000, 2000, 4700, 5700, 6700].forEach(out);"], { stdio: ['ignore', 'pipe', 'ignore'] });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    const watch = watchHang(2000, Date.now, (blocked) => hung.push(blocked));
    onTestFinished(() => watch.stop());
    let samples = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      samples += chunk.toString().split('\n').length - 1;
      watch.sampled();
    });
    await eventually('every sample', () => samples >= 6, 10_000);
    expect(hung).toEqual([]);
  });

  it('calls it hung once no sample came for the timeout and a sampling period, with the time it was surely blocked', async () => {
    const hung: number[] = [];
    const child = sampler(100, 3);
    const watch = watchHang(500, Date.now, (blocked) => hung.push(blocked));
    onTestFinished(() => watch.stop());
    child.stdout.on('data', () => watch.sampled());
    await eventually('the hang reported', () => hung.length === 1);
    expect(hung[0]).toBeGreaterThanOrEqual(500);
  });
});
