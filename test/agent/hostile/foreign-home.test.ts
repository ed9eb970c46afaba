// StrictModes for PMX_HOME, with a second real user: a home, socket, pid file or dump that another
// user owns, or that group/others may write, is refused by the CLI and by the agent, naming the
// path, its owner and mode, and the fix; a dump planted by another user never runs as root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, ROOT, alive, eventually } from '../../helpers/pmx.js';
import { OtherUser } from './other-user.js';

const user = OtherUser.create();
const base = mkdtempSync(join(tmpdir(), 'pmx-foreign-'));
/** The other user's PMX_HOME, with a dump it saved there. */
const foreignHome = join(base, 'home');
/** Every run of the planted app appends its uid here. */
const marker = join(base, 'markers', 'ran');
const pmx = new PmxSandbox();
const userEnv = { PMX_HOME: foreignHome, HOME: foreignHome };

beforeAll(async () => {
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'markers'), { mode: 0o777 });
  chmodSync(join(base, 'markers'), 0o777);
  mkdirSync(foreignHome, { mode: 0o700 });
  chownSync(foreignHome, user.uid, user.gid);
  const script = join(base, 'planted.sh');
  writeFileSync(script, `#!/bin/sh\nid -u >> ${marker}\nexec sleep 1000\n`, { mode: 0o755 });
  // the other user runs pmx as anyone may: starts an app, saves it, stops its agent
  for (const args of [['start', script, '-n', 'planted'], ['save'], ['kill']]) {
    const result = await user.pmx(args, userEnv);
    if (result.code !== 0) throw new Error(`pmx ${args.join(' ')} as ${user.name}: ${result.stderr}`);
  }
}, 60_000);

/** Homes of root's made by the tests beside the sandbox's own: their agents are ended after. */
const ownHomes: string[] = [];

afterAll(async () => {
  try {
    await pmx.cleanup();
    // an agent a failing test let start in a home of its own (the CLI may refuse that home now): ended by its pid
    for (const home of ownHomes) {
      const agent = Number(existsSync(join(home, 'agent.pid')) ? readFileSync(join(home, 'agent.pid'), 'utf8') : 0);
      if (agent > 0 && alive(agent)) {
        process.kill(agent, 'SIGTERM');
        await eventually(`the agent of ${home} to end`, () => !alive(agent), 20_000);
      }
    }
    const pid = Number(existsSync(join(foreignHome, 'agent.pid')) ? readFileSync(join(foreignHome, 'agent.pid'), 'utf8') : 0);
    if (pid > 0 && alive(pid)) await user.pmx(['kill'], userEnv);
  } finally {
    user.remove();
    rmSync(base, { recursive: true, force: true });
  }
});

/** Lines the planted app wrote: one uid per run. */
const runs = (): string[] => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : []);

describe('a home that belongs to another user', () => {
  it('is refused by `pmx resurrect` as root: the planted dump never runs as root', async () => {
    expect(runs()).toEqual([String(user.uid)]); // the other user's own run
    const result = await pmx.run(['resurrect'], { env: { PMX_HOME: foreignHome } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing ${foreignHome}: it belongs to ${user.name} (uid ${user.uid}), not to root (uid 0) (mode 0700)`);
    expect(result.stderr).toContain(`run pmx as ${user.name} (uid ${user.uid}), or set PMX_HOME to a directory of your own`);
    expect(runs()).toEqual([String(user.uid)]);
    expect(existsSync(join(foreignHome, 'agent.sock'))).toBe(false);
    expect(existsSync(join(foreignHome, 'agent.pid'))).toBe(false);
  });

  it('is refused by the agent itself, started directly as root', () => {
    const agent = spawnSync(process.execPath, [join(ROOT, 'dist/agent/main.js'), '--pmx-agent', '--foreground'], {
      env: { ...process.env, PMX_HOME: foreignHome },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(agent.status).toBe(1);
    expect(agent.stderr).toContain(`refusing ${foreignHome}: it belongs to ${user.name}`);
    expect(existsSync(join(foreignHome, 'agent.pid'))).toBe(false);
    expect(runs()).toEqual([String(user.uid)]);
  });

  it("is refused while that user's agent runs there: root's CLI does not talk to it", async () => {
    expect((await user.pmx(['ls'], userEnv)).code).toBe(0); // starts the other user's agent, empty
    expect(existsSync(join(foreignHome, 'agent.sock'))).toBe(true);
    const result = await pmx.run(['ls'], { env: { PMX_HOME: foreignHome } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing ${foreignHome}`);
    expect((await user.pmx(['kill'], userEnv)).code).toBe(0);
  });
});

describe('a home reached through a directory or a link that another user controls, or a link of our own', () => {
  it('is refused when a directory above it belongs to that user, who could swap it for their own', async () => {
    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, user.uid, user.gid);
    const home = join(theirs, 'roots-home');
    ownHomes.push(home);
    mkdirSync(home, { mode: 0o700 }); // root's own, 0700: only its parent is foreign
    const result = await pmx.run(['ls'], { env: { PMX_HOME: home } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing ${home}: ${theirs} on its way belongs to ${user.name} (uid ${user.uid}) (mode 0755), who could replace what it holds with their own`);
    expect(readdirSync(home)).toEqual([]); // no agent, no log, no lock was made there
  });

  it("is refused under a directory a shared group may write without the sticky bit; a sticky one (as /tmp), or one only the owner's private group may write (a home made 0775), is fine", async () => {
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chownSync(shared, 0, user.gid); // the group of another user: not root's own
    chmodSync(shared, 0o775);
    const home = join(shared, 'home');
    ownHomes.push(home);
    const refused = await pmx.run(['ls'], { env: { PMX_HOME: home } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${home}: ${shared} on its way is writable by its group without the sticky bit (mode 0775)`);
    expect(existsSync(home)).toBe(false);
    chmodSync(shared, 0o1777);
    const sticky = await pmx.run(['ping'], { env: { PMX_HOME: home } });
    expect(sticky.code).toBe(0);
    expect((await pmx.run(['kill'], { env: { PMX_HOME: home } })).code).toBe(0);
    // group root is root's private group (Debian's user private groups): 0775 root:root is fine
    const own = join(base, 'own-group');
    mkdirSync(own);
    chmodSync(own, 0o775);
    const inOwn = join(own, 'home');
    ownHomes.push(inOwn);
    expect((await pmx.run(['ping'], { env: { PMX_HOME: inOwn } })).code).toBe(0);
    expect((await pmx.run(['kill'], { env: { PMX_HOME: inOwn } })).code).toBe(0);
  });

  it("is refused through a link that another user owns (they could point it at their home between a check and a read), and nothing is made where it leads", async () => {
    // the link lives in a sticky directory and belongs to the other user, who may replace it at will
    const links = join(base, 'links');
    mkdirSync(links);
    chmodSync(links, 0o1777);
    const mine = join(base, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    ownHomes.push(mine);
    const link = join(links, 'home');
    ownHomes.push(link);
    symlinkSync(mine, link);
    spawnSync('chown', ['-h', `${user.uid}:${user.gid}`, link]);
    const refused = await pmx.run(['ls'], { env: { PMX_HOME: link } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${link}: it is a symbolic link that belongs to ${user.name} (uid ${user.uid}), who could point it elsewhere`);
    expect(readdirSync(mine)).toEqual([]);
  });

  it("is refused through a chain of links when one on the way lies in another user's directory (it could be pointed elsewhere)", async () => {
    const theirs = join(base, 'their-links');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, user.uid, user.gid);
    const target = join(base, 'chain-target');
    mkdirSync(target, { mode: 0o700 });
    // root's link -> a link (root's too) inside their directory -> root's directory
    const middle = join(theirs, 'middle');
    symlinkSync(target, middle);
    const first = join(base, 'chain');
    symlinkSync(middle, first);
    ownHomes.push(first);
    const refused = await pmx.run(['ls'], { env: { PMX_HOME: first } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${first}: ${theirs} on its way belongs to ${user.name}`);
    expect(readdirSync(target)).toEqual([]);
  });

  it('says so when the home is a link to nothing', async () => {
    const dangling = join(base, 'dangling');
    symlinkSync(join(base, 'nowhere'), dangling);
    const refused = await pmx.run(['ls'], { env: { PMX_HOME: dangling } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing ${dangling}: the symbolic link ${dangling} on its way points to ${join(base, 'nowhere')}, which does not exist`);
    // and below such a link
    const below = join(dangling, 'home');
    const under = await pmx.run(['ls'], { env: { PMX_HOME: below } });
    expect(under.code).toBe(1);
    expect(under.stderr).toContain(`refusing ${below}: the symbolic link ${dangling} on its way points to ${join(base, 'nowhere')}, which does not exist`);
  });

  it('says which folder on the way the user may not search, instead of a bare EACCES', async () => {
    const closed = join(base, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const home = join(closed, 'home');
    const refused = await user.pmx(['ls'], { PMX_HOME: home, HOME: home });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot use ${home}: ${home} on its way cannot be looked up (EACCES: you may not search the folder that holds it)`);
    expect(existsSync(home)).toBe(false);
  });

  it('is refused by pmx-runtime before it makes anything there (it takes the lock before the agent starts)', () => {
    const theirs = join(base, 'their-runtime');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, user.uid, user.gid);
    const home = join(theirs, 'home');
    ownHomes.push(home);
    const runtime = spawnSync(process.execPath, [join(ROOT, 'bin/pmx-runtime.js'), '--resurrect'], { env: { ...process.env, PMX_HOME: home }, encoding: 'utf8', timeout: 20_000 });
    expect(runtime.status).not.toBe(0);
    expect(runtime.stderr).toContain(`refusing ${home}: ${theirs} on its way belongs to ${user.name}`);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('is used by its name through a link of our own: a short link to a deep directory keeps the socket path short', async () => {
    // a socket path holds 107 bytes: this home's own is longer, the link's is not
    const deep = join(base, 'd'.repeat(60), 'e'.repeat(60));
    mkdirSync(deep, { recursive: true, mode: 0o700 });
    const short = join(base, 'sh');
    symlinkSync(deep, short);
    ownHomes.push(short);
    const env = { PMX_HOME: short };
    await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'deep'], { env });
    const [entry] = JSON.parse(await pmx.ok(['jlist'], { env })) as { pm2_env: { pm_out_log_path: string } }[];
    expect(entry!.pm2_env.pm_out_log_path.startsWith(`${short}/logs/`)).toBe(true);
    expect(existsSync(join(deep, 'agent.sock'))).toBe(true);
    await pmx.ok(['kill'], { env });
  });
});

describe('a home another user controls, named to `pmx startup`', () => {
  it('is refused at install time with the refusal its agent would give at every boot; no hook is written', async () => {
    const startupRoot = join(base, 'startup-root');
    for (const args of [['-u', 'root', '--hp', foreignHome], ['--hp', foreignHome]]) {
      const result = await pmx.run(['startup', 'systemd', ...args], { env: { PMX_STARTUP_ROOT: startupRoot } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`refusing ${join(foreignHome, '.pmx')}: ${foreignHome} on its way belongs to ${user.name} (uid ${user.uid}) (mode 0700), who could replace what it holds with their own; name a home of root's with --hp: the agent the hook starts would refuse this one at every boot`);
    }
    expect(existsSync(startupRoot) ? readdirSync(startupRoot, { recursive: true }) : []).toEqual([]);
  });
});

describe('files of our own home', () => {
  let agentSocket: string;

  beforeAll(async () => {
    await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', 'mine']);
    await pmx.ok(['save']);
    agentSocket = join(pmx.home, 'agent.sock');
  });

  const cases: [what: string, file: () => string][] = [
    ['the dump', () => join(pmx.home, 'dump.pmx')],
    ['the socket', () => agentSocket],
    ['the pid file', () => join(pmx.home, 'agent.pid')],
  ];

  for (const [what, file] of cases) {
    it(`refuses ${what} when another user owns it, naming it, its owner and the fix`, async () => {
      chownSync(file(), user.uid, user.gid);
      try {
        const result = await pmx.run(['ls']);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`refusing ${file()}: it belongs to ${user.name} (uid ${user.uid}), not to root (uid 0)`);
        expect(result.stderr).toContain('someone else put it there: check it, then remove it');
      } finally {
        chownSync(file(), 0, 0);
      }
      expect((await pmx.run(['ls'])).code).toBe(0);
    });
  }

  it('refuses a dump that its group may write, and says how to fix it', async () => {
    const dump = join(pmx.home, 'dump.pmx');
    chmodSync(dump, 0o664);
    try {
      const result = await pmx.run(['resurrect']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`refusing ${dump}: it is writable by its group (mode 0664); run 'chmod go-w ${dump}'`);
    } finally {
      chmodSync(dump, 0o600);
    }
  });

  it('refuses a home that every user may write', async () => {
    chmodSync(pmx.home, 0o777);
    try {
      const result = await pmx.run(['ls']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`refusing ${pmx.home}: it is writable by every user (mode 0777); run 'chmod 700 ${pmx.home}'`);
    } finally {
      chmodSync(pmx.home, 0o700);
    }
  });

  it('has the agent refuse to resurrect from a dump another user owns, asked over its socket', async () => {
    const dump = join(pmx.home, 'dump.pmx');
    chownSync(dump, user.uid, user.gid);
    try {
      const reply = await request(agentSocket, { id: 1, method: 'resurrect', params: {} });
      expect(reply).toMatchObject({ id: 1, ok: false, error: { code: 'HOME_UNSAFE' } });
      expect((reply as { error: { message: string } }).error.message).toContain(`refusing ${dump}: it belongs to ${user.name}`);
    } finally {
      chownSync(dump, 0, 0);
    }
  });
});

/** One request over the agent socket, without the CLI (and so without its checks). */
function request(socket: string, message: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const client = connect(socket);
    let text = '';
    client.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        client.destroy();
        resolve(JSON.parse(text.slice(0, text.indexOf('\n'))));
      }
    });
    client.on('error', reject);
    client.write(JSON.stringify(message) + '\n');
  });
}
