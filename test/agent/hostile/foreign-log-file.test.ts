// A log path in a directory another user can write: that user cannot point root's agent at a file
// of root's (a symbolic link it made) nor have root append to a file it owns, empty one with
// `pmx flush`, or show one in `pmx logs` and the dashboard. The app still runs, and describe,
// flush, logs and the dashboard say why the file is not used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { firstEvent, freePort } from '../../helpers/net.js';
import { OtherUser } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-foreign-log-'));
/** A directory every user may write, sticky as /tmp is (a folder of the other user's is refused as a whole: log-folder.test.ts), where root's app is told to log. */
const theirs = join(base, 'theirs');
/** A file of root's that the other user wants root's agent to append to. */
const precious = join(base, 'precious');
const pmx = new PmxSandbox();

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(theirs);
  chmodSync(theirs, 0o1777);
  writeFileSync(precious, 'root only\n', { mode: 0o600 });
  const asUser = (argv: string[]): void => {
    const result = spawnSync(user.argv(argv)[0]!, user.argv(argv).slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${argv.join(' ')} as ${user.name}: ${result.stderr}`);
  };
  asUser(['ln', '-s', precious, join(theirs, 'link-out.log')]);
  asUser(['touch', join(theirs, 'owned-out.log')]);
});

afterAll(async () => {
  await pmx.cleanup();
  user.remove();
  rmSync(base, { recursive: true, force: true });
});

describe("a log file another user prepared for root's agent", () => {
  it('a symbolic link made by another user is not followed: root\'s file stays as it was', async () => {
    expect(lstatSync(join(theirs, 'link-out.log')).uid).toBe(user.uid);
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'linked', '-o', join(theirs, 'link-out.log')]);
    // the file is opened at the app's first output line: describe says so from then on
    const refusal = `${join(theirs, 'link-out.log')} is a symbolic link made by uid ${user.uid}, not uid 0`;
    await eventually('describe naming the refused link', async () => (await pmx.ok(['describe', 'linked'])).includes(refusal));
    expect((await pmx.proc('linked')).pm2_env.status).toBe('online');
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
  });

  it('is not emptied by `pmx flush` through the link: the flush leaves it alone and says why', async () => {
    const link = join(theirs, 'link-out.log');
    const refusal = `Not flushed: ${link} is a symbolic link made by uid ${user.uid}, not uid 0: pmx does not write logs into another user's file`;
    const named = await pmx.run(['flush', 'linked']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toContain(refusal);
    expect(named.stdout).not.toContain(`Flushed ${link}`);
    const all = await pmx.run(['flush']);
    expect(all.stderr).toContain(refusal);
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('is not read through the link by `pmx logs` nor by the dashboard: both say why, and print nothing of root\'s file', async () => {
    const link = join(theirs, 'link-out.log');
    const refusal = `${link} is a symbolic link made by uid ${user.uid}, not uid 0: pmx does not read logs from another user's file`;
    const printed = await pmx.run(['logs', 'linked', '--out', '--lines', '5', '--nostream']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toContain(`[PMX][WARN] Not read: ${refusal}`);
    expect(printed.stdout).not.toContain('root only');
    const port = await freePort();
    const token = new URL(/http:\/\/\S+/.exec(await pmx.ok(['dashboard', '--port', String(port)]))![0]).search;
    const { pm_id } = await pmx.proc('linked');
    const opened = await firstEvent(port, `/api/processes/${pm_id}/logs${token}`);
    expect(opened.event).toBe('lines');
    expect((opened.data as { lines: { stream: string; text: string }[] }).lines).toEqual([{ stream: 'err', text: `[PMX] not shown: ${refusal}; remove it or choose another path` }]);
  });

  it('a file another user owns is not appended to', async () => {
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'owned', '-o', join(theirs, 'owned-out.log')]);
    const refusal = `${join(theirs, 'owned-out.log')} belongs to uid ${user.uid}, not uid 0`;
    await eventually('describe naming the refused file', async () => (await pmx.ok(['describe', 'owned'])).includes(refusal));
    expect(readFileSync(join(theirs, 'owned-out.log'), 'utf8')).toBe('');
  });

  it('a symbolic link root made itself is followed as before', async () => {
    const own = join(base, 'own.log');
    symlinkSync(join(base, 'own-target.log'), own);
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'own-link', '-o', own]);
    await eventually('a tick in the link\'s target', () => /tick 0\n/.test(readFileSync(join(base, 'own-target.log'), 'utf8')));
    expect(await pmx.ok(['describe', 'own-link'])).not.toContain('log writing');
  });

  it("a link root made that leads through a link of another user's: not followed, nor emptied by flush; root's file stays as it was", async () => {
    // root's own link, in root's own folder, pointing at the other user's link (to root's file)
    const chained = join(base, 'chained-out.log');
    symlinkSync(join(theirs, 'link-out.log'), chained);
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'chained', '-o', chained]);
    const refusal = `refusing ${chained}: ${join(theirs, 'link-out.log')} on its way is a symbolic link that belongs to ${user.name} (uid ${user.uid}), who could point it elsewhere`;
    await eventually('describe naming the link of the other user', async () => (await pmx.ok(['describe', 'chained'])).includes(refusal));
    const flushed = await pmx.run(['flush', 'chained']);
    expect(flushed.code, flushed.stderr).toBe(0);
    expect(flushed.stderr).toContain(`Not flushed: ${refusal}`);
    expect(flushed.stdout).not.toContain(`Flushed ${chained}`);
    const printed = await pmx.run(['logs', 'chained', '--out', '--lines', '5', '--nostream']);
    expect(printed.stdout).not.toContain('root only');
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
  });
});
