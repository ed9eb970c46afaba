// `pmx import pm2` against a real PM2 install: its saved list and pm2-logrotate settings become pmx
// apps, PM2 is stopped first (so no app runs twice), and nothing changes when PM2 may not be stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, Differential, type JlistEntry, processesWith } from './harness.js';
import { installPm2 } from './pm2-install.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write(APPS);
}, 300_000);
afterAll(() => diff?.close());

const pm2Daemon = (): number | null => {
  try {
    const pid = Number(readFileSync(join(diff.pm2.home, 'pm2.pid'), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
};

/** What matters of an app after the switch: name, mode, instance count, script and its arguments. */
function apps(list: JlistEntry[], side: 'pm2' | 'pmx'): unknown[] {
  const byName = new Map<string, JlistEntry[]>();
  for (const entry of list) byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
  return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, group]) => ({
    name,
    instances: group.length,
    exec_mode: group[0]!.pm2_env.exec_mode,
    script: diff[side].normalize(String(group[0]!.pm2_env.pm_exec_path)),
    args: group[0]!.pm2_env.args ?? [],
    status: group.map((entry) => entry.pm2_env.status),
  }));
}

describe('pmx import pm2', () => {
  it("refuses while PM2 runs the apps and it may not stop PM2: nothing imported, exit 1", async () => {
    await diff.pm2.run(['start', 'hold.js', '-n', 'web', '-i', '2']);
    await diff.pm2.run(['save']);
    const refused = await diff.pmx.run(['import', 'pm2', '--pm2-home', diff.pm2.home]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing imported');
    expect(pm2Daemon()).not.toBeNull();
    expect(JSON.parse((await diff.pmx.run(['jlist'])).stdout)).toEqual([]);
  });

  it('takes the saved list and the pm2-logrotate settings, stops PM2, and saves the list for resurrect', async () => {
    await diff.pm2.run(['start', 'hold.js', '-n', 'worker', '-o', join(diff.pm2.work, 'logs/worker.log'), '--', '--flag', 'x']);
    await diff.pm2.run(['set', 'pm2-logrotate:max_size', '10M']);
    await diff.pm2.run(['set', 'pm2-logrotate:retain', '7']);
    await diff.pm2.run(['save']);
    const before = JSON.parse((await diff.pm2.run(['jlist'])).stdout) as JlistEntry[];
    const pm2Apps = apps(before, 'pm2');
    const daemon = pm2Daemon();

    const imported = await diff.pmx.run(['import', 'pm2', '--pm2-home', diff.pm2.home, '--pm2', installPm2().bin, '--yes']);
    expect(imported.code, imported.stderr).toBe(0);

    // PM2 and its apps are gone; pmx runs the same apps
    expect(daemon !== null && processesWith(`PM2_HOME=${diff.pm2.home}`).includes(daemon)).toBe(false);
    for (const entry of before) expect(processesWith(`PM2_HOME=${diff.pm2.home}`)).not.toContain(entry.pid);
    const after = JSON.parse((await diff.pmx.run(['jlist'])).stdout) as JlistEntry[];
    // the imported apps run PM2's scripts, in PM2's work folder
    expect(apps(after, 'pm2')).toEqual(pm2Apps);
    for (const entry of after) expect(entry.pm2_env.log_rotate).toMatchObject({ max_size: 10 * 1024 * 1024, retain: 7 });
    expect(after.find((entry) => entry.name === 'worker')!.pm2_env.pm_out_log_path).toBe(join(diff.pm2.work, 'logs/worker.log'));
    expect(existsSync(join(diff.pmx.home, 'dump.pmx'))).toBe(true);
    expect(JSON.parse(readFileSync(join(diff.pmx.home, 'dump.pmx'), 'utf8')).processes).toHaveLength(3);
    // seven PM2 CLI runs in a row (each loads all of PM2: 1-4 s on a loaded 2-core machine) and
    // the import, which stops PM2's daemon: 30 s was exceeded at load 24
  }, 90_000);

  it("refuses while PM2 runs an app its saved list lacks (pm2 kill would end it for good); then brings a stopped app over stopped and increment_var's ports", async () => {
    await diff.pmx.run(['kill']);
    diff.write({ 'inc.config.js': `module.exports = { apps: [{ name: 'srv', script: 'env.js', instances: 2, exec_mode: 'fork', increment_var: 'PORT', env: { PORT: 47620, SHOW: 'PORT' } }, { name: 'maint', script: 'hold.js' }] };` });
    await diff.pm2.run(['start', 'inc.config.js']);
    await diff.pm2.run(['stop', 'maint']);
    await diff.pm2.run(['save']);
    await diff.pm2.run(['start', 'hold.js', '-n', 'unsaved']);
    const pm2 = installPm2().bin;
    const refused = await diff.pmx.run(['import', 'pm2', '--pm2-home', diff.pm2.home, '--pm2', pm2, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("nothing imported: PM2 runs 'unsaved', which its saved list does not have");
    expect(pm2Daemon()).not.toBeNull();
    await diff.pm2.run(['delete', 'unsaved']);
    const imported = await diff.pmx.run(['import', 'pm2', '--pm2-home', diff.pm2.home, '--pm2', pm2, '--yes']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('maint (1 fork, stopped: registered stopped)');
    const after = JSON.parse((await diff.pmx.run(['jlist'])).stdout) as JlistEntry[];
    expect(after.map((entry) => [entry.name, entry.pm2_env.status])).toEqual([['srv', 'online'], ['srv', 'online'], ['maint', 'stopped']]);
    const printed = after.filter((entry) => entry.name === 'srv').map((entry) => diff.pmx.read(String(entry.pm2_env.pm_out_log_path)));
    expect(printed.map((text) => text.trim()).sort()).toEqual(['PORT=47620', 'PORT=47621']);
  }, 120_000);

  it("refuses a PM2 dump that others may write: its apps would run as the one who imports them", async () => {
    const other = Differential.create();
    try {
      other.pm2.write({});
      const home = join(other.pm2.work, 'pm2home');
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'dump.pm2'), JSON.stringify([{ name: 'planted', pm_exec_path: '/bin/true', pm_cwd: '/', env: {} }]), { mode: 0o666 });
      chmodSync(join(home, 'dump.pm2'), 0o666);
      const refused = await other.pmx.run(['import', 'pm2', '--pm2-home', home]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`refusing ${join(home, 'dump.pm2')}: it is writable by every user (mode 0666)`);
      expect(JSON.parse((await other.pmx.run(['jlist'])).stdout)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('says where the PM2 list is when resurrect finds no pmx list', async () => {
    const other = Differential.create();
    try {
      other.pm2.write({});
      const outcome = await other.pmx.run(['resurrect'], { env: { PM2_HOME: diff.pm2.home } });
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain("'pmx import pm2' takes it over");
    } finally {
      await other.close();
    }
  });
});
