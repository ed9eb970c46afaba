// `npm run demo:local` works: its CommonJS app (in this "type": "module" package) starts, answers
// on its port, and survives restart, save, kill and resurrect (regression: the app crashed at once
// while pmx said it was online, and the demo failed every time).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/pmx.js';

describe('npm run demo:local', () => {
  it('runs to the end: the app answers with its production greeting before and after a restart', () => {
    const demo = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(demo.status, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout.match(/hello from production \(pid \d+\)/g)).toHaveLength(2);
    expect(demo.stdout).toContain('The demo worked');
  }, 150_000);
});
