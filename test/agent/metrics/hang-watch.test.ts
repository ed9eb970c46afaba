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

  it('calls it hung once no sample came for the timeout, with the time since the last', async () => {
    const hung: number[] = [];
    const child = sampler(100, 3);
    const watch = watchHang(500, Date.now, (blocked) => hung.push(blocked));
    onTestFinished(() => watch.stop());
    child.stdout.on('data', () => watch.sampled());
    await eventually('the hang reported', () => hung.length === 1);
    expect(hung[0]).toBeGreaterThanOrEqual(500);
  });
});
