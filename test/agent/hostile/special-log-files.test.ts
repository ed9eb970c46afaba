// What another user can plant at a log or pid path besides a link or a file of theirs: a FIFO
// (open(2) for writing waits for a reader, and O_NOFOLLOW does not stop it) or a hard link to a
// file of root's. The agent opens neither: it never waits in open(), answers the CLI, and says
// why the file is not used; root's file stays as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { OtherUser, cleanUpAfter } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-special-log-'));
/** A directory every user may write, sticky as /tmp is: where the other user plants its FIFOs. */
const shared = join(base, 'shared');
/** A file of root's that a hard link at a log path would have root append to. */
const precious = join(base, 'precious');
const pmx = new PmxSandbox();

function asUser(argv: string[]): void {
  const [command, ...args] = user.argv(argv);
  const result = spawnSync(command!, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} as ${user.name}: ${result.stderr}`);
}

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  writeFileSync(precious, 'root only\n', { mode: 0o600 });
  asUser(['mkfifo', '-m', '666', join(shared, 'fifo-out.log')]);
  // pmx names the pid file of --pid x.pid as x-<id>.pid: the other user guesses the ids
  for (const id of [0, 1, 2, 3]) asUser(['mkfifo', '-m', '666', join(shared, `app-${id}.pid`)]);
});

afterAll(() => cleanUpAfter(pmx, user, base));

describe('a FIFO planted at a log or pid path', () => {
  it('at a log path: the agent does not wait in open(), keeps answering, and describe names the FIFO', async () => {
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'fifo-log', '-o', join(shared, 'fifo-out.log')]);
    const refusal = `${join(shared, 'fifo-out.log')} is a FIFO (named pipe), not a regular file (uid ${user.uid}, mode 0666): pmx writes logs only into regular files`;
    await eventually('describe naming the FIFO', async () => (await pmx.ok(['describe', 'fifo-log'])).includes(refusal));
    // the app's output goes on coming, and each second a write opens the path again: none waits
    const listed = await pmx.run(['jlist']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((await pmx.proc('fifo-log')).pm2_env.status).toBe('online');
  });

  it('at a log path: `pmx logs` does not wait in open() either, and says why it reads nothing', async () => {
    const printed = await pmx.run(['logs', 'fifo-log', '--out', '--nostream']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toContain(`[PMX][WARN] Not read: ${join(shared, 'fifo-out.log')} is a FIFO (named pipe), not a regular file (uid ${user.uid}, mode 0666): pmx reads logs only from regular files`);
  });

  it('at a pid path: the start returns, the agent keeps answering, and its log names the FIFO', async () => {
    const started = await pmx.run(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'fifo-pid', '--pid', join(shared, 'app.pid')]);
    expect(started.code, started.stderr).toBe(0);
    const { pm_id } = await pmx.proc('fifo-pid');
    const refusal = `${join(shared, `app-${pm_id}.pid`)} is a FIFO (named pipe), not a regular file (uid ${user.uid}, mode 0666): pmx writes pid files only into regular files`;
    await eventually('the agent log naming the FIFO', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes(refusal));
    expect((await pmx.run(['jlist'])).code).toBe(0);
  });
});

describe('a hard link to a file of root\'s at a log path (where protected_hardlinks is off)', () => {
  it('is not appended to: a file with two names is refused, and describe says so', async () => {
    const link = join(shared, 'hard-out.log');
    linkSync(precious, link); // what the other user could do with fs.protected_hardlinks=0
    await pmx.ok(['start', join(FIXTURES, 'apps/ticker.js'), '-n', 'hard-link', '-o', link]);
    const refusal = `${link} has 2 hard links (uid 0, mode 0600): another name of the same file may be anywhere (a link to /etc/shadow), so pmx does not write logs into it`;
    await eventually('describe naming the hard link', async () => (await pmx.ok(['describe', 'hard-link'])).includes(refusal));
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
  });
});
