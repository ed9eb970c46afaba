// `pmx logs`: the last lines with PM2's prefixes, then new lines live, also across a rotation.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, PMX_BIN, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

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
    expect(raw.trim()).toMatch(/^w line-49 x*\.$/);
    const json = await pmx.ok(['logs', 'w', '--err', '--nostream', '--lines', '1', '--json']);
    expect(JSON.parse(json.trim())).toMatchObject({ message: 'done w', type: 'err', app_name: 'w' });
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
