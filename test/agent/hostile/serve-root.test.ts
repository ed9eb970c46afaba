// `pmx serve` run by root of a folder whose way another user can change: they could switch the
// root (or a folder above it) to a link to / and read /etc/shadow through root's server. The root's
// way is walked as the agent's home is: `pmx serve` refuses it and starts nothing, and a root
// switched later onto such a way serves nothing and says why in the server's error log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PmxSandbox, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';
import { OtherUser, cleanUpAfter } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-serve-root-'));
/** A folder of the other user's, holding a site. */
const theirs = join(base, 'theirs');
/** A file only root may read, that the other user wants root's server to hand out. */
const precious = join(base, 'root-only', 'precious.txt');
const pmx = new PmxSandbox();

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'root-only'), { mode: 0o700 });
  writeFileSync(precious, 'ROOT ONLY\n', { mode: 0o600 });
  mkdirSync(join(theirs, 'site'), { recursive: true });
  writeFileSync(join(theirs, 'site', 'index.html'), 'their page');
  chownSync(theirs, user.uid, user.gid);
  chownSync(join(theirs, 'site'), user.uid, user.gid);
  mkdirSync(join(base, 'releases', 'one'), { recursive: true });
  writeFileSync(join(base, 'releases', 'one', 'index.html'), 'release one');
});

afterAll(() => cleanUpAfter(pmx, user, base));

describe("the root of root's pmx serve", () => {
  it('under a folder of another user: refused, naming the folder and its owner; nothing is started', async () => {
    const port = await freePort();
    const root = join(theirs, 'site');
    const refused = await pmx.run(['serve', root, String(port)], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`serve: refusing ${root}: ${theirs} on its way belongs to ${user.name} (uid ${user.uid}) (mode 0755), who could replace what it holds with their own; serve a folder whose way only you or root may change, or run pmx serve as the user who owns it (nothing was started)`);
    expect(await pmx.jlist()).toEqual([]);
    await expect(get(port, '/')).rejects.toThrow();
  });

  it("switched later onto another user's way: nothing is served, and the server's error log says why", async () => {
    const port = await freePort();
    const current = join(base, 'current');
    symlinkSync(join(base, 'releases', 'one'), current);
    await pmx.ok(['serve', current, String(port), '--name', 'site'], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    await eventually('release one served', async () => (await get(port, '/').catch(() => null))?.body === 'release one');
    // the other user's folder now holds a link to root's folder, and root's `current` leads there
    const their = join(theirs, 'switched');
    const [command, ...args] = user.argv(['ln', '-s', join(base, 'root-only'), their]);
    expect(spawnSync(command!, args).status).toBe(0);
    symlinkSync(their, `${current}.new`);
    renameSync(`${current}.new`, current);
    const answer = await get(port, '/precious.txt');
    expect(answer.body).not.toContain('ROOT ONLY');
    expect(answer.status).toBe(403);
    const { pm2_env } = await pmx.proc('site');
    await eventually('the refusal in the error log', () => readFileSync(pm2_env.pm_err_log_path, 'utf8').includes(`pmx serve: refusing ${current}: ${theirs} on its way belongs to ${user.name}`));
  });
});
