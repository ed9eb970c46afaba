// A script or an ecosystem file that another user could change, started by root: their code would
// run as root (a dump saved, then the script rewritten before a resurrect, ran the new code as uid
// 0). The ecosystem file is refused before it is read, the script before it is launched (at start,
// restart and resurrect alike), each naming the file and its owner; their code never runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PmxSandbox } from '../../helpers/pmx.js';
import { OtherUser, cleanUpAfter } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-foreign-script-'));
/** Where a script that ran leaves its mark (root's folder: the other user's code cannot fake it). */
const marks = join(base, 'marks');
const pmx = new PmxSandbox();
const marking = (mark: string): string => `require('node:fs').writeFileSync(${JSON.stringify(join(marks, mark))}, String(process.getuid())); setInterval(() => {}, 1000);\n`;

beforeAll(() => {
  chmodSync(base, 0o755);
  mkdirSync(marks, { mode: 0o700 });
  writeFileSync(join(base, 'theirs.js'), marking('theirs'));
  chownSync(join(base, 'theirs.js'), user.uid, user.gid);
  writeFileSync(join(base, 'shared.js'), marking('shared'), { mode: 0o666 });
  chmodSync(join(base, 'shared.js'), 0o666);
  writeFileSync(join(base, 'ours.js'), marking('ours'));
  writeFileSync(join(base, 'their.config.js'), `${marking('config')}module.exports = { apps: [{ name: 'from-theirs', script: ${JSON.stringify(join(base, 'ours.js'))} }] };\n`);
  chownSync(join(base, 'their.config.js'), user.uid, user.gid);
});

afterAll(() => cleanUpAfter(pmx, user, base));

describe("root's agent and a file another user could change", () => {
  it("a script of another user's is not launched: start fails naming it and its owner, and their code never ran", async () => {
    const script = join(base, 'theirs.js');
    const started = await pmx.run(['start', script, '-n', 'theirs']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`refusing ${script}: its script belongs to ${user.name} (uid ${user.uid}), who could change what root (uid 0) runs`);
    expect((await pmx.proc('theirs')).pm2_env.status).toBe('errored');
    expect(existsSync(join(marks, 'theirs'))).toBe(false);
  });

  it('a script every user may write is not launched either', async () => {
    const script = join(base, 'shared.js');
    const started = await pmx.run(['start', script, '-n', 'shared']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`refusing ${script}: its script is writable by every user (mode 0666)`);
    expect(existsSync(join(marks, 'shared'))).toBe(false);
  });

  it("an ecosystem file of another user's is not read: nothing starts, and its code never ran", async () => {
    const file = join(base, 'their.config.js');
    const started = await pmx.run(['start', file]);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`refusing ${file}: the ecosystem file belongs to ${user.name} (uid ${user.uid})`);
    expect(started.stderr).toContain('(nothing was started)');
    expect(existsSync(join(marks, 'config'))).toBe(false);
    expect((await pmx.jlist()).map((entry) => entry.name)).not.toContain('from-theirs');
  });

  it('a script root saved, then given to another user before a resurrect: not run again', async () => {
    await pmx.run(['delete', 'all']);
    const script = join(base, 'ours.js');
    await pmx.ok(['start', script, '-n', 'ours']);
    await pmx.ok(['save']);
    await pmx.ok(['kill']);
    rmSync(join(marks, 'ours'), { force: true });
    chownSync(script, user.uid, user.gid);
    await pmx.run(['resurrect']);
    expect((await pmx.proc('ours')).pm2_env.status).toBe('errored');
    expect(await pmx.ok(['describe', 'ours'])).toContain(`refusing ${script}: its script belongs to ${user.name}`);
    expect(existsSync(join(marks, 'ours'))).toBe(false);
  });
});
