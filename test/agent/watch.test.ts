// `--watch`: a burst of changes restarts once, ignored paths do not, `stop --watch` ends the
// watching, cluster apps reload. A watched folder replaced or deleted: watch/root-replaced.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-watch-');
afterAll(() => pmx.cleanup());

const DELAY_MS = 200;

/** A fresh project directory for one app, with a src/ folder. */
function project(name: string): string {
  const dir = join(pmx.dir, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'index.js'), '// v0\n');
  return dir;
}

async function restarts(name: string): Promise<number[]> {
  return (await pmx.jlist()).filter((entry) => entry.name === name).map((entry) => entry.pm2_env.restart_time);
}

/**
 * A window in which the watcher would have acted had it seen a change: several watch_delays.
 * Needed only where a test asserts that nothing happens.
 */
async function quietWindow(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, DELAY_MS * 5));
}

function startWatched(name: string, dir: string, ...flags: string[]) {
  return pmx.ok(['start', join(apps, 'forever.js'), '-n', name, '--cwd', dir, '--watch-delay', `${DELAY_MS}ms`, ...flags]);
}

describe('watch', () => {
  it('restarts once for a burst of writes, and shows watch: true in jlist', async () => {
    const dir = project('burst');
    await startWatched('burst', dir, '--watch');
    expect((await pmx.proc('burst')).pm2_env.watch).toBe(true);
    const pid = (await pmx.proc('burst')).pid;
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'src', `file-${i % 4}.js`), `// ${i}\n`);
    await eventually('the restart', async () => (await pmx.proc('burst')).pm2_env.restart_time >= 1 && (await pmx.proc('burst')).pm2_env.status === 'online');
    await quietWindow();
    const entry = await pmx.proc('burst');
    expect(entry.pm2_env.restart_time).toBe(1);
    expect(entry.pid).not.toBe(pid);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain('change detected on');
  });

  it("ignores node_modules and dot directories by default, and the app's own log files", async () => {
    const dir = project('ignored');
    mkdirSync(join(dir, 'node_modules', 'lib'), { recursive: true });
    mkdirSync(join(dir, '.git'), { recursive: true });
    await startWatched('ignored', dir, '--watch', '-o', join(dir, 'out.log'), '-e', join(dir, 'err.log'));
    writeFileSync(join(dir, 'node_modules', 'lib', 'index.js'), 'x');
    writeFileSync(join(dir, '.git', 'HEAD'), 'x');
    mkdirSync(join(dir, 'node_modules', 'fresh'));
    writeFileSync(join(dir, 'node_modules', 'fresh', 'a.js'), 'x');
    await quietWindow(); // the app itself writes out.log and err.log meanwhile
    expect(await restarts('ignored')).toEqual([0]);
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('a restart for a watched file', async () => (await restarts('ignored'))[0] === 1);
  });

  it('ignores the log files of instances a scale adds, with --ignore-watch too', async () => {
    const dir = project('scaled');
    await startWatched('scaled', dir, '--watch', '-i', '1', '-o', join(dir, 'out.log'), '-e', join(dir, 'err.log'), '--ignore-watch', 'tmp');
    await pmx.ok(['scale', 'scaled', '2']);
    const added = (await pmx.jlist()).filter((entry) => entry.name === 'scaled').at(-1)!;
    expect(added.pm2_env.pm_out_log_path.startsWith(dir)).toBe(true);
    await eventually('the new instance writes its logs', () => readFileSync(added.pm2_env.pm_out_log_path, 'utf8').includes('forever'));
    await quietWindow();
    expect(await restarts('scaled')).toEqual([0, 0]);
    await pmx.ok(['delete', 'scaled']);
  });

  it('ignores what --ignore-watch lists instead', async () => {
    const dir = project('custom');
    mkdirSync(join(dir, 'tmp'));
    await startWatched('custom', dir, '--watch', '--ignore-watch', 'tmp *.cache');
    writeFileSync(join(dir, 'tmp', 'scratch.txt'), 'x');
    writeFileSync(join(dir, 'src', 'build.cache'), 'x');
    await quietWindow();
    expect(await restarts('custom')).toEqual([0]);
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('a restart for a watched file', async () => (await restarts('custom'))[0] === 1);
  });

  it('keeps watching across restart, and stop --watch stops the app and its watching', async () => {
    const dir = project('stopped');
    await startWatched('stopped', dir, '--watch');
    await pmx.ok(['restart', 'stopped']);
    expect((await pmx.proc('stopped')).pm2_env.watch).toBe(true);
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('a restart by the watch after a restart', async () => (await restarts('stopped'))[0] === 2);

    await pmx.ok(['stop', '--watch', 'stopped']);
    const entry = await pmx.proc('stopped');
    expect(entry.pm2_env.status).toBe('stopped');
    expect(entry.pm2_env.watch).toBe(false);
    writeFileSync(join(dir, 'src', 'index.js'), '// v2\n');
    await quietWindow();
    expect((await pmx.proc('stopped')).pm2_env.status).toBe('stopped');
    expect(await restarts('stopped')).toEqual([2]);
  });

  it("restart --watch toggles watching, as PM2's does: off for an app that watches (a change then restarts nothing), on again the next time (it kept watching on)", async () => {
    const dir = project('toggled');
    await startWatched('toggled', dir, '--watch');
    await pmx.ok(['restart', 'toggled', '--watch']);
    expect((await pmx.proc('toggled')).pm2_env.watch).toBe(false);
    const before = await restarts('toggled');
    writeFileSync(join(dir, 'src', 'index.js'), '// off\n');
    await quietWindow();
    expect(await restarts('toggled')).toEqual(before);
    await pmx.ok(['restart', 'toggled', '--watch']);
    expect((await pmx.proc('toggled')).pm2_env.watch).toBe(true);
    writeFileSync(join(dir, 'src', 'index.js'), '// on\n');
    await eventually('a restart by the watch once it is on again', async () => (await restarts('toggled'))[0] === before[0]! + 2);
    await pmx.ok(['delete', 'toggled']);
  });

  it("follows symbolic links, as PM2 does: a change in a linked folder or a linked file restarts the app, and links that loop are followed once (regression: a deploy's shared config changed unseen)", async () => {
    const shared = join(pmx.dir, 'shared');
    mkdirSync(join(shared, 'config'), { recursive: true });
    writeFileSync(join(shared, 'config', 'x.json'), '{}\n');
    writeFileSync(join(shared, 'c.json'), '{}\n');
    writeFileSync(join(shared, 'config', 'ignored.log'), '');
    const dir = project('linked');
    symlinkSync('../shared/config', join(dir, 'config'));
    symlinkSync('../shared/c.json', join(dir, 'c.json'));
    symlinkSync('..', join(dir, 'src', 'up')); // back to the root
    symlinkSync('.', join(dir, 'src', 'self'));
    symlinkSync('..', join(dir, 'parent')); // holds the root: never armed, or the whole sandbox would be
    symlinkSync('../linked', join(shared, 'config', 'back')); // into the tree again, through the linked folder
    await startWatched('linked', dir, '--watch', '--ignore-watch', '*.log');
    const online = async (count: number): Promise<boolean> => {
      const entry = await pmx.proc('linked');
      return entry.pm2_env.restart_time === count && entry.pm2_env.status === 'online';
    };
    writeFileSync(join(shared, 'config', 'x.json'), '{"a":1}\n');
    await eventually('a restart for the linked folder', () => online(1));
    writeFileSync(join(shared, 'c.json'), '{"a":2}\n');
    await eventually('a restart for the linked file', () => online(2));
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('a restart for a file of the tree itself', () => online(3));
    const agentLog = readFileSync(join(pmx.home, 'agent.log'), 'utf8');
    expect(agentLog).not.toContain(`watch: cannot watch ${pmx.dir}`);
    expect(agentLog).not.toMatch(/change detected on .*\/parent\//);
  });

  it('keeps watching a folder after a link to it is removed, whichever of the two paths was armed first', async () => {
    const dir = project('relinked');
    // two pairs named the other way round: in whatever order the folder is listed, one link comes before its folder
    for (const [link, real] of [['a-link', 'z-real'], ['z-link', 'a-real']]) {
      mkdirSync(join(dir, real));
      writeFileSync(join(dir, real, 'x.json'), '{}\n');
      symlinkSync(real, join(dir, link));
    }
    await startWatched('relinked', dir, '--watch');
    rmSync(join(dir, 'a-link'));
    rmSync(join(dir, 'z-link'));
    const log = (): string => readFileSync(join(pmx.home, 'agent.log'), 'utf8');
    // the removals restart the app (the log names the first change of a restart)
    await eventually('the removals seen', () => log().includes(`change detected on ${join(dir, 'a-link')}`) || log().includes(`change detected on ${join(dir, 'z-link')}`));
    for (const real of ['z-real', 'a-real']) {
      writeFileSync(join(dir, real, 'x.json'), '{"changed":true}\n');
      await eventually(`a change in ${real} seen`, () => log().includes(`change detected on ${join(dir, real, 'x.json')}`));
    }
  });

  it('reloads a cluster app instead of restarting it, every instance once', async () => {
    const dir = project('cluster');
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'cluster', '-i', '2', '--cwd', dir, '--watch', '--watch-delay', `${DELAY_MS}ms`], { env: { PORT: String(port) } });
    const before = (await pmx.jlist()).filter((entry) => entry.name === 'cluster').map((entry) => entry.pid);
    expect((await pmx.proc('cluster')).pm2_env.exec_mode).toBe('cluster_mode');
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    writeFileSync(join(dir, 'src', 'other.js'), '// v1\n');
    await eventually('both instances reloaded', async () => (await restarts('cluster')).every((count) => count === 1), 15_000);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/for app cluster - reloading/);
    const after = (await pmx.jlist()).filter((entry) => entry.name === 'cluster');
    expect(after.every((entry) => entry.pm2_env.status === 'online')).toBe(true);
    expect(after.map((entry) => entry.pid).some((pid) => before.includes(pid))).toBe(false);
    await quietWindow();
    expect(await restarts('cluster')).toEqual([1, 1]);
  });

  it('a change does not bring back an instance the user stopped: the others restart, it stays stopped', async () => {
    const dir = project('halfstopped');
    await startWatched('halfstopped', dir, '--watch', '-i', '2', '-x');
    const [first, second] = (await pmx.jlist()).filter((entry) => entry.name === 'halfstopped');
    await pmx.ok(['stop', String(second!.pm_id)]);
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('the running instance restarted', async () => (await pmx.jlist()).find((entry) => entry.pm_id === first!.pm_id)?.pm2_env.restart_time === 1);
    await quietWindow();
    const after = (await pmx.jlist()).filter((entry) => entry.name === 'halfstopped');
    expect(after.map((entry) => [entry.pm_id, entry.pm2_env.status])).toEqual([
      [first!.pm_id, 'online'],
      [second!.pm_id, 'stopped'],
    ]);
  });

  it('a change while one instance is being restarted restarts the others: none is left on the old code', async () => {
    const dir = project('midrestart');
    // stops 1.5 s after its SIGINT: the user's restart of one instance is under way when the change comes
    writeFileSync(join(dir, 'slow.js'), "process.on('SIGINT', () => setTimeout(() => process.exit(0), 1500));\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', join(dir, 'slow.js'), '-n', 'midrestart', '-i', '2', '-x', '--cwd', dir, '--watch', 'src', '--watch-delay', `${DELAY_MS}ms`, '--kill-timeout', '5000']);
    const [first, second] = (await pmx.jlist()).filter((entry) => entry.name === 'midrestart');
    const restarting = pmx.run(['restart', String(first!.pm_id)]);
    await eventually('the first instance stopping', async () => (await pmx.jlist()).find((entry) => entry.pm_id === first!.pm_id)?.pm2_env.status === 'stopping');
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await eventually('the other instance restarted for the change', async () => (await pmx.jlist()).find((entry) => entry.pm_id === second!.pm_id)?.pid !== second!.pid, 10_000);
    expect((await restarting).code).toBe(0);
    await eventually('both online', async () => (await pmx.jlist()).filter((entry) => entry.name === 'midrestart').every((entry) => entry.pm2_env.status === 'online'));
  });
});

describe('watch, and a restart asked for while a change waits out watch_delay', () => {
  // long enough for a CLI to ask for its restart before the watch acts (the order is checked below)
  const LONG_DELAY = '4s';
  const agentLog = (): string => readFileSync(join(pmx.home, 'agent.log'), 'utf8');

  it("leaves the change to that restart, which runs the changed files (a deploy's switch of `current` and its post-deploy restart restarted a watching app twice)", async () => {
    const dir = project('restarted-meanwhile');
    await startWatched('restarted-meanwhile', dir, '--watch', '--watch-delay', LONG_DELAY);
    // the change is queued for the agent before the CLI below starts, and seen before its request
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await pmx.ok(['restart', 'restarted-meanwhile']);
    await eventually('the watch acted', () => agentLog().includes('watch: restarted-meanwhile was restarted since the change: the change is left to that'), 15_000);
    const log = agentLog();
    expect(log.indexOf('restarted-meanwhile (id')).toBeLessThan(log.indexOf('watch: restarted-meanwhile was restarted since the change'));
    expect(await restarts('restarted-meanwhile')).toEqual([1]);
  });

  it('restarts all the same for a change seen after that restart, in the same burst', async () => {
    const dir = project('changed-again');
    await startWatched('changed-again', dir, '--watch', '--watch-delay', LONG_DELAY);
    writeFileSync(join(dir, 'src', 'index.js'), '// v1\n');
    await pmx.ok(['restart', 'changed-again']);
    // within watch_delay of the first change: one burst, whose last change the restart did not see
    writeFileSync(join(dir, 'src', 'index.js'), '// v2\n');
    await eventually('the watch restart', () => agentLog().includes('watch: changed-again restarted'), 15_000);
    expect(agentLog()).toContain('for app changed-again - restarting');
    await eventually('online again', async () => (await pmx.proc('changed-again')).pm2_env.status === 'online');
    expect(await restarts('changed-again')).toEqual([2]);
  });
});
