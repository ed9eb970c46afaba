// The folders on the way to a log or pid file, walked as the agent's home is (home-guard.ts): a
// folder of another user's, or a symbolic link of theirs on the way, would have root create and
// append to files where that user chooses (a link to a folder only root may write). The agent
// refuses the path, naming it, the folder or link and its owner and mode; nothing is made there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { OtherUser } from './other-user.js';
import { guardFolder, placedAt } from '../../../agent/logs/log-open.js';

const user = OtherUser.create();
/** A system group (a gid below 1000, `groupadd -r`) that the other user, a person, is made a member of. */
const peopleGroup = `pmxg${randomBytes(3).toString('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'pmx-log-folder-'));
/** A folder only root may enter, as /etc: the other user's links lead here. */
const rootOnly = join(base, 'root-only');
/** A folder of the other user's. */
const theirs = join(base, 'theirs');
/** A folder every user may write, sticky as /tmp. */
const shared = join(base, 'shared');
const pmx = new PmxSandbox();
const fix = 'choose a path whose folders only you or root may write';

function asUser(argv: string[]): void {
  const [command, ...args] = user.argv(argv);
  const result = spawnSync(command!, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} as ${user.name}: ${result.stderr}`);
}

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(rootOnly, { mode: 0o700 });
  writeFileSync(join(rootOnly, 'out.log'), 'ROOT CONFIG LINE\n', { mode: 0o600 });
  mkdirSync(theirs, { mode: 0o755 });
  chownSync(theirs, user.uid, user.gid);
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  asUser(['ln', '-s', rootOnly, join(theirs, 'logs')]);
  asUser(['ln', '-s', rootOnly, join(shared, 'app')]);
});

afterAll(async () => {
  try {
    await pmx.cleanup();
  } finally {
    spawnSync('groupdel', [peopleGroup]);
    user.remove();
    rmSync(base, { recursive: true, force: true });
  }
});

describe('the way to a log or pid file', () => {
  it('through a folder of another user: refused, naming the folder, its owner and mode; nothing made or written in the folder it leads to', async () => {
    const path = join(theirs, 'logs', 'out.log');
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'their-folder', '-o', path]);
    const refusal = `refusing ${path}: ${theirs} on its way belongs to ${user.name} (uid ${user.uid}) (mode 0755), who could replace what it holds with their own; ${fix}`;
    await eventually('describe naming the folder', async () => (await pmx.ok(['describe', 'their-folder'])).includes(refusal));
    expect(readFileSync(join(rootOnly, 'out.log'), 'utf8')).toBe('ROOT CONFIG LINE\n');
    expect(readdirSync(rootOnly)).toEqual(['out.log']);
  });

  it('through a symbolic link another user made in a sticky folder: refused, naming the link and its owner', async () => {
    const path = join(shared, 'app', 'app-out.log');
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'their-link', '-o', path]);
    const refusal = `refusing ${path}: ${join(shared, 'app')} on its way is a symbolic link that belongs to ${user.name} (uid ${user.uid}), who could point it elsewhere; ${fix}`;
    await eventually('describe naming the link', async () => (await pmx.ok(['describe', 'their-link'])).includes(refusal));
    expect(readdirSync(rootOnly)).toEqual(['out.log']);
  });

  it('of a pid file, through a link of another user: no pid file is made where it leads, and the agent log says why', async () => {
    await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'their-pid', '--pid', join(shared, 'app', 'app.pid')]);
    const { pm_id } = await pmx.proc('their-pid');
    const refusal = `refusing ${join(shared, 'app', `app-${pm_id}.pid`)}: ${join(shared, 'app')} on its way is a symbolic link that belongs to ${user.name} (uid ${user.uid})`;
    await eventually('the agent log naming the link', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes(refusal));
    expect(readdirSync(rootOnly)).toEqual(['out.log']);
  });

  it('walked again at every open: a folder that passed, then removed (a cleanup) and replaced by another user\'s link, is refused at the next reopen and restart', async () => {
    const folder = join(shared, 'cleaned');
    const out = join(folder, 'out.log');
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'cleaned', '-o', out, '-e', join(folder, 'err.log'), '--pid', join(folder, 'app.pid')]);
    await eventually('a tick in the log', () => /tick 0\n/.test(readFileSync(out, 'utf8')));
    rmSync(folder, { recursive: true, force: true });
    asUser(['ln', '-s', rootOnly, folder]);
    await pmx.ok(['reloadLogs']);
    await pmx.run(['restart', 'cleaned']);
    const refusal = `refusing ${out}: ${folder} on its way is a symbolic link that belongs to ${user.name} (uid ${user.uid})`;
    await eventually('describe naming the link', async () => (await pmx.ok(['describe', 'cleaned'])).includes(refusal));
    // nothing made, written or removed where the link leads
    expect(readdirSync(rootOnly)).toEqual(['out.log']);
    expect(readFileSync(join(rootOnly, 'out.log'), 'utf8')).toBe('ROOT CONFIG LINE\n');
    await pmx.ok(['delete', 'cleaned']);
    expect(readdirSync(rootOnly)).toEqual(['out.log']);
  });

  it("under a folder of root's that a system group may write (Ubuntu's /var/log, root:syslog 0775): written; one a user's group may write: refused", async () => {
    const system = join(base, 'var-log');
    mkdirSync(join(system, 'myapp'), { recursive: true, mode: 0o755 });
    chownSync(system, 0, 4); // adm, a system group
    chmodSync(system, 0o775);
    const path = join(system, 'myapp', 'out.log');
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'var-log', '-o', path]);
    await eventually('a tick in the log', () => /tick 0\n/.test(readFileSync(path, 'utf8')));
    const grouped = join(base, 'their-group');
    mkdirSync(join(grouped, 'myapp'), { recursive: true, mode: 0o755 });
    chownSync(grouped, 0, user.gid);
    chmodSync(grouped, 0o775);
    const refusedPath = join(grouped, 'myapp', 'out.log');
    // said by start itself, before the app writes anything (a quiet app would never tell)
    const started = await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'their-group', '-o', refusedPath]);
    expect(started).toContain(`[PMX][WARN] their-group (id ${(await pmx.proc('their-group')).pm_id}): logs are not being written: cannot write log file ${refusedPath}: refusing ${refusedPath}: ${grouped} on its way is writable by its group`);
    expect(await pmx.ok(['describe', 'their-group'])).toContain(`refusing ${refusedPath}: ${grouped} on its way is writable by its group`);
    await pmx.ok(['delete', 'var-log']);
    await pmx.ok(['delete', 'their-group']);
  });

  it('of a log file in a folder pmx makes under a folder of root\'s: made and written as before', async () => {
    const path = join(base, 'made', 'deeper', 'out.log');
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'made-folder', '-o', path]);
    await eventually('a tick in the log', () => /tick 0\n/.test(readFileSync(path, 'utf8')));
  });

  it("under a folder of root's whose low gid has a person among its members (Debian's `users`): refused, as a user's group is", async () => {
    const made = spawnSync('groupadd', ['-r', '-U', user.name, peopleGroup], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const gid = Number(spawnSync('getent', ['group', peopleGroup], { encoding: 'utf8' }).stdout.split(':')[2]);
    expect(gid).toBeLessThan(1000);
    const grouped = join(base, 'people-group');
    mkdirSync(join(grouped, 'myapp'), { recursive: true, mode: 0o755 });
    chownSync(grouped, 0, gid);
    chmodSync(grouped, 0o775);
    const path = join(grouped, 'myapp', 'out.log');
    const started = await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'people-group', '-o', path]);
    expect(started).toContain(`cannot write log file ${path}: refusing ${path}: ${grouped} on its way is writable by its group`);
    expect(readdirSync(join(grouped, 'myapp'))).toEqual([]);
    await pmx.ok(['delete', 'people-group']);
  });

  it('a folder swapped for a link between the walk of the way and the open: the file opened elsewhere is refused, naming both places', () => {
    const folder = join(base, 'swapped');
    mkdirSync(join(folder, 'app'), { recursive: true });
    const path = join(folder, 'app', 'out.log');
    writeFileSync(path, '');
    const where = guardFolder(path);
    expect(where).toBe(path);
    // what a member of a group that may write `swapped` does between the agent's walk and its open
    renameSync(join(folder, 'app'), join(folder, 'app.moved'));
    symlinkSync(rootOnly, join(folder, 'app'));
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
    try {
      expect(() => placedAt(fd, where, path, 'write')).toThrow(`${path} was opened at ${join(rootOnly, 'out.log')}, not at ${path} where its way led a moment before`);
    } finally {
      closeSync(fd);
    }
    const unswapped = openSync(join(folder, 'app.moved', 'out.log'), constants.O_RDONLY);
    try {
      expect(() => placedAt(unswapped, join(folder, 'app.moved', 'out.log'), path, 'read')).not.toThrow();
    } finally {
      closeSync(unswapped);
    }
  });
});
