// A watched folder replaced in one step (a deploy's `mv app.new app`, `rm -rf app && cp -r new app`,
// a link switched) restarts the app once, on the new files, and the new folder is watched; a folder
// gone for a while restarts it once when it is back, not while it is missing.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';

const pmx = new PmxSandbox('pmx-watch-root-');
afterAll(() => pmx.cleanup());

const DELAY_MS = 200;

/** A folder `at` holding an app that prints `release <version> <pid>`, a src/ folder and a tmp/ folder the app ignores. */
function release(at: string, version: string): string {
  mkdirSync(join(at, 'src'), { recursive: true });
  mkdirSync(join(at, 'tmp'));
  writeFileSync(join(at, 'app.js'), `console.log('release ${version}', process.pid);\nsetInterval(() => {}, 1000);\n`);
  writeFileSync(join(at, 'src', 'index.js'), `// ${version}\n`);
  return at;
}

/** Starts the app of release `a` in `dir`, watched, and waits until it runs (has read its files). */
async function startWatched(name: string, dir: string, ...watch: string[]): Promise<void> {
  await pmx.ok(['start', join(dir, 'app.js'), '-n', name, '--cwd', dir, '--watch', ...watch, '--ignore-watch', 'tmp', '--watch-delay', `${DELAY_MS}ms`]);
  await runs(await pmx.proc(name), 'a');
}

function agentLog(): string {
  return readFileSync(join(pmx.home, 'agent.log'), 'utf8');
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

/**
 * Waits for a restart of `name` logged after `mark` (the agent log's length before the action)
 * whose first change is `path` or below it, and for every watch restart announced by then to be
 * done; returns the app's entry then. A change the watch told late (a second restart for one swap)
 * is either counted by then or would have been that restart's first change.
 */
async function restartedFor(name: string, path: string, mark: number): Promise<JlistEntry> {
  return eventually(`the restart of ${name} for ${path}`, async () => {
    const log = agentLog();
    if (!log.slice(mark).includes(`change detected on ${path}`)) return false;
    if (count(log, `watch: ${name} restarted\n`) < count(log, `for app ${name} - restarting`)) return false;
    const entry = await pmx.proc(name);
    return entry.pm2_env.status === 'online' && entry;
  });
}

/** The app runs `version`'s files: its process printed them. */
async function runs(entry: JlistEntry, version: string): Promise<void> {
  await eventually(`${entry.name} (pid ${entry.pid}) on release ${version}`, () => readFileSync(entry.pm2_env.pm_out_log_path, 'utf8').includes(`release ${version} ${entry.pid}\n`));
}

/** A burst of changes the app ignores, then an edit it watches: its restart tells whether the first was seen. */
async function ignoredThenEdited(name: string, dir: string): Promise<JlistEntry> {
  const mark = agentLog().length;
  writeFileSync(join(dir, 'tmp', 'scratch.txt'), 'x');
  mkdirSync(join(dir, 'tmp', 'cache'));
  const edited = join(dir, 'src', 'index.js');
  writeFileSync(edited, '// edited\n');
  return restartedFor(name, edited, mark);
}

/** One-step replacements of the folder `dir` by the folder `next`, as deploy tools make them. */
const swaps: { how: string; name: string; swap: (dir: string, next: string) => void }[] = [
  { how: 'renamed over (mv app app.old && mv app.new app)', name: 'renamed', swap: (dir, next) => (renameSync(dir, `${dir}.old`), renameSync(next, dir)) },
  { how: 'deleted and copied again (rm -rf app && cp -r new app)', name: 'copied', swap: (dir, next) => (rmSync(dir, { recursive: true }), cpSync(next, dir, { recursive: true })) },
];

describe('watch: a root folder replaced or gone', () => {
  it.each(swaps)('a root folder $how restarts the app once, on the new files, and the new folder is watched with its ignore_watch (regression: two restarts, then edits unseen)', async ({ name, swap }) => {
    const dir = release(join(pmx.dir, name), 'a');
    await startWatched(name, dir);
    const next = release(join(pmx.dir, `${name}.new`), 'b');
    const mark = agentLog().length;
    swap(dir, next);
    const swapped = await restartedFor(name, dir, mark);
    expect(swapped.pm2_env.restart_time).toBe(1);
    await runs(swapped, 'b');
    const edited = await ignoredThenEdited(name, dir);
    expect(edited.pm2_env.restart_time).toBe(2);
  });

  it('a link at the root switched to another release restarts the app once, on that release, and watches it (regression: the switch was not seen)', async () => {
    const base = join(pmx.dir, 'linked');
    release(join(base, 'releases', 'a'), 'a');
    release(join(base, 'releases', 'b'), 'b');
    const current = join(base, 'current');
    symlinkSync('releases/a', current);
    await startWatched('linked', current);
    const mark = agentLog().length;
    // as a deploy publishes: a new link renamed over the old one
    symlinkSync('releases/b', join(base, 'current.next'));
    renameSync(join(base, 'current.next'), current);
    const switched = await restartedFor('linked', current, mark);
    expect(switched.pm2_env.restart_time).toBe(1);
    await runs(switched, 'b');
    const edited = await ignoredThenEdited('linked', current);
    expect(edited.pm2_env.restart_time).toBe(2);
    expect(readFileSync(join(base, 'releases', 'b', 'src', 'index.js'), 'utf8')).toBe('// edited\n');
  });

  it("a link above a listed folder switched (the cwd a deploy's `current`, `watch: ['src']`) restarts the app once and watches the new release's folder (regression: the old release's stayed watched)", async () => {
    const base = join(pmx.dir, 'above');
    release(join(base, 'releases', 'a'), 'a');
    release(join(base, 'releases', 'b'), 'b');
    const current = join(base, 'current');
    symlinkSync('releases/a', current);
    await startWatched('above', current, 'src');
    const mark = agentLog().length;
    symlinkSync('releases/b', join(base, 'current.next'));
    renameSync(join(base, 'current.next'), current);
    const switched = await restartedFor('above', join(current, 'src'), mark);
    expect(switched.pm2_env.restart_time).toBe(1);
    await runs(switched, 'b');
    const edited = join(current, 'src', 'index.js');
    const editMark = agentLog().length;
    writeFileSync(edited, '// edited\n');
    expect((await restartedFor('above', edited, editMark)).pm2_env.restart_time).toBe(2);
  });

  it('a sub-folder replaced in one step is watched as the new folder (regression: its old watch stayed, and edits in the new one were unseen)', async () => {
    const dir = release(join(pmx.dir, 'subfolder'), 'a');
    mkdirSync(join(dir, 'views')); // empty: a rename replaces it in one step, as no rm and cp can
    await startWatched('subfolder', dir);
    const next = join(pmx.dir, 'views.new');
    mkdirSync(next);
    writeFileSync(join(next, 'page.html'), '<p>b</p>\n');
    const mark = agentLog().length;
    renameSync(next, join(dir, 'views'));
    expect((await restartedFor('subfolder', join(dir, 'views'), mark)).pm2_env.restart_time).toBe(1);
    const edited = join(dir, 'views', 'page.html');
    const editMark = agentLog().length;
    writeFileSync(edited, '<p>edited</p>\n');
    expect((await restartedFor('subfolder', edited, editMark)).pm2_env.restart_time).toBe(2);
  });

  it('a root folder gone for a while restarts the app once it is back, on the files that came back, not while it is missing', async () => {
    const dir = release(join(pmx.dir, 'gone'), 'a');
    await startWatched('gone', dir);
    const agent = pmx.agentPid()!;
    rmSync(dir, { recursive: true });
    // the restart the deletion was due after watch_delay: the agent says it waits instead
    await eventually('the restart held', () => agentLog().includes(`watch: ${dir} is missing: gone is restarted when it is back`));
    expect(alive(agent)).toBe(true);
    expect((await pmx.proc('gone')).pm2_env.restart_time).toBe(0);

    const mark = agentLog().length;
    cpSync(release(join(pmx.dir, 'gone.new'), 'b'), dir, { recursive: true });
    const back = await restartedFor('gone', dir, mark);
    expect(back.pm2_env.restart_time).toBe(1);
    await runs(back, 'b');
    expect((await ignoredThenEdited('gone', dir)).pm2_env.restart_time).toBe(2);
  });

  it('a listed folder renamed away and back restarts the app once, when it is back, and is watched again', async () => {
    const dir = release(join(pmx.dir, 'listed'), 'a');
    await startWatched('listed', dir, 'src');
    const src = join(dir, 'src');
    renameSync(src, join(dir, 'src.away'));
    await eventually('the restart held', () => agentLog().includes(`watch: ${src} is missing: listed is restarted when it is back`));
    expect((await pmx.proc('listed')).pm2_env.restart_time).toBe(0);
    const mark = agentLog().length;
    renameSync(join(dir, 'src.away'), src);
    expect((await restartedFor('listed', src, mark)).pm2_env.restart_time).toBe(1);
    expect((await ignoredThenEdited('listed', dir)).pm2_env.restart_time).toBe(2);
  });

  it("a listed folder deleted for good holds only its own restart: an edit in the app's other watched folder restarts it (regression: the whole watch was off while the folder was missing)", async () => {
    const dir = release(join(pmx.dir, 'onegone'), 'a');
    mkdirSync(join(dir, 'lib'));
    await startWatched('onegone', dir, 'src', 'lib');
    const lib = join(dir, 'lib');
    rmSync(lib, { recursive: true });
    await eventually('the restart held', () => agentLog().includes(`watch: ${lib} is missing: onegone is restarted when it is back`));
    expect((await pmx.proc('onegone')).pm2_env.restart_time).toBe(0);
    expect((await ignoredThenEdited('onegone', dir)).pm2_env.restart_time).toBe(1);
  });
});
