// `pmx startup` / `pmx unstartup`: hooks written and removed (under PMX_STARTUP_ROOT, never the
// real /etc), the user of the real uid and a minimal PATH in them, the `pmx save` reminder, and a
// simulated reboot that runs the unit's ExecStart exactly as written.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, ROOT, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { INIT_SYSTEMS, LAYOUTS } from '../../../cli/startup/systems.js';
import { detectInitSystem } from '../../../cli/startup/detect.js';
import { systemdAssignments, systemdWords } from '../startup/unit-syntax.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-startup-');
const root = join(pmx.dir, 'root');
const withRoot = { PMX_STARTUP_ROOT: root };
const runtimes: ChildProcess[] = [];
afterAll(async () => {
  for (const child of runtimes) if (child.exitCode === null) child.kill('SIGKILL');
  await pmx.cleanup();
});

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();

/** Runs the CLI with exactly this environment (PmxSandbox.run cannot unset variables). */
function pmxWithEnv(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [PMX_BIN, ...args], { env, cwd: '/', encoding: 'utf8', timeout: 20_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A user's home as the user database has it. */
function userHome(name: string): string {
  return spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':')[5]!;
}

function unitFile(service: string): string {
  return join(root, LAYOUTS.systemd.destination(service));
}

/** The lines of a systemd unit that say how to run it. */
function readUnit(service: string): { user: string; execStart: string[]; env: Record<string, string>; text: string } {
  const text = readFileSync(unitFile(service), 'utf8');
  const line = (key: string): string => text.match(new RegExp(`^${key}=(.*)$`, 'm'))![1]!;
  return { user: line('User'), execStart: systemdWords(line('ExecStart'), 'exec'), env: systemdAssignments(line('Environment')), text };
}

describe('pmx startup / unstartup under PMX_STARTUP_ROOT', () => {
  it.each(INIT_SYSTEMS)('startup %s writes the hook, unstartup removes it', async (system) => {
    const service = `pmx-t-${system}`;
    const out = await pmx.ok(['startup', system, '--service-name', service], { env: withRoot });
    const file = join(root, LAYOUTS[system].destination(service));
    expect(out).toContain(`${system} hook for ${me} (PMX_HOME ${pmx.home}) written to ${file}`);
    expect(statSync(file).mode & 0o777).toBe(LAYOUTS[system].mode);
    expect(readFileSync(file, 'utf8')).toContain(pmx.home);
    const wants = join(root, '/etc/systemd/system/multi-user.target.wants', `${service}.service`);
    if (system === 'systemd' && has('systemctl')) {
      expect(out).toContain(`Ran: systemctl --root=${root} enable ${service}.service`);
      expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    } else if (system !== 'systemd') {
      expect(out).toContain('Not run (PMX_STARTUP_ROOT is set)');
    }
    const removed = await pmx.ok(['unstartup', system, '--service-name', service], { env: withRoot });
    expect(removed).toContain(`Removed ${file}`);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(wants)).toBe(false);
    expect(await pmx.ok(['unstartup', system, '--service-name', service], { env: withRoot })).toContain('nothing to remove');
  });

  it('detects the init system when none is named', async () => {
    const detected = detectInitSystem();
    const result = await pmx.run(['startup', '--service-name', 'pmx-detected'], { env: withRoot });
    if (!detected) {
      expect(result.stderr).toContain('no init system recognised');
      return;
    }
    expect(result.stdout).toContain(`${detected.system} hook for ${me}`);
    if (detected.system === 'systemd' && !detected.running) expect(result.stdout).toContain('systemd is not running here (PID 1 is');
    await pmx.ok(['unstartup', '--service-name', 'pmx-detected'], { env: withRoot });
  });

  it('takes User= from the real uid, not $USER, and writes a minimal PATH', async () => {
    const env = pmx.env({ ...withRoot, PATH: `/opt/junk/bin:relative:${process.env.PATH}` });
    delete env.USER;
    expect(pmxWithEnv(['startup', 'systemd', '--service-name', 'pmx-nouser'], env).code).toBe(0);
    const unit = readUnit('pmx-nouser');
    expect(unit.user).toBe(me);
    expect(unit.env.PATH).toBe([...new Set([dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])].join(':'));
    expect(pmxWithEnv(['startup', 'systemd', '--service-name', 'pmx-lying'], { ...env, USER: 'not-me' }).code).toBe(0);
    expect(readUnit('pmx-lying').user).toBe(me);
  });

  it('-u and --hp name the user and home; PMX_HOME defaults to <home>/.pmx; the service to pmx-<user>', () => {
    const env = pmx.env(withRoot);
    delete env.PMX_HOME;
    const result = pmxWithEnv(['startup', 'systemd', '-u', 'nobody', '--hp', '/srv/nobody'], env);
    expect(result.code, result.stderr).toBe(0);
    const unit = readUnit('pmx-nobody');
    expect(unit.user).toBe('nobody');
    expect(unit.env.PMX_HOME).toBe('/srv/nobody/.pmx');
    expect(pmxWithEnv(['unstartup', 'systemd', '-u', 'nobody'], env).code).toBe(0);
    expect(existsSync(unitFile('pmx-nobody'))).toBe(false);
  });

  it("gives another user's service that user's home, not the caller's PMX_HOME (as PM2 takes PM2_HOME from --hp)", () => {
    const env = pmx.env(withRoot); // PMX_HOME is the sandbox's, root's
    expect(pmxWithEnv(['startup', 'systemd', '-u', 'nobody', '--hp', '/srv/nobody'], env).code).toBe(0);
    expect(readUnit('pmx-nobody').env.PMX_HOME).toBe('/srv/nobody/.pmx');
    expect(pmxWithEnv(['startup', 'systemd', '-u', 'nobody'], env).code).toBe(0);
    expect(readUnit('pmx-nobody').env.PMX_HOME).toBe(`${userHome('nobody')}/.pmx`);
    expect(pmxWithEnv(['unstartup', 'systemd', '-u', 'nobody'], env).code).toBe(0);
    // the caller's own service keeps the caller's PMX_HOME
    expect(pmxWithEnv(['startup', 'systemd', '--service-name', 'pmx-mine'], env).code).toBe(0);
    expect(readUnit('pmx-mine').env.PMX_HOME).toBe(pmx.home);
    expect(pmxWithEnv(['unstartup', 'systemd', '--service-name', 'pmx-mine'], env).code).toBe(0);
  });

  it('refuses an unknown system, an unknown user and a service name that is no file name', async () => {
    expect((await pmx.run(['startup', 'runit'], { env: withRoot })).stderr).toContain("unknown init system 'runit'");
    expect((await pmx.run(['startup', 'systemd', '-u', 'no-such-user-pmx'], { env: withRoot })).stderr).toContain("no user 'no-such-user-pmx'");
    const bad = await pmx.run(['startup', 'systemd', '--service-name', '../../etc/passwd'], { env: withRoot });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--service-name must start with a letter or digit');
  });

  it.skipIf(!isRoot)('as another user writes nothing and prints the one command to run with sudo', () => {
    const env = pmx.env();
    delete env.PMX_HOME;
    delete env.PMX_STARTUP_ROOT;
    // nobody must be able to read pmx, wherever this checkout lives (a 0700 temp dir, say): in a
    // private mount namespace the checkout is bound onto a directory anyone can enter
    const seen = mkdtempSync(join(tmpdir(), 'pmx-seen-'));
    chmodSync(seen, 0o755);
    const bin = join(seen, relative(ROOT, PMX_BIN));
    const asNobody = `mount --bind "$0" "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" "$3" startup systemd`;
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', asNobody, ROOT, seen, process.execPath, bin], {
      env: { ...env, HOME: '/nonexistent' },
      cwd: '/',
      encoding: 'utf8',
      timeout: 20_000,
    });
    rmSync(seen, { recursive: true });
    expect(result.status, result.stderr).toBe(0);
    const command = result.stdout.trimEnd().split('\n').at(-1)!;
    // PM2's form: sudo env PATH=$PATH:<node's folder> ..., since sudo resets PATH
    expect(command).toBe(`sudo env PATH=$PATH:${dirname(process.execPath)} ${process.execPath} ${bin} startup systemd -u nobody --hp /nonexistent`);
    // that command, run as root (here under the destination root, from the checkout itself), writes the unit for nobody
    const asRoot = spawnSync('sh', ['-c', command.replace(/^sudo /, '').replace(bin, PMX_BIN)], { env: { ...env, ...withRoot }, encoding: 'utf8' });
    expect(asRoot.status, asRoot.stderr).toBe(0);
    expect(readUnit('pmx-nobody').user).toBe('nobody');
  });

  it.skipIf(!isRoot)("as another user whose HOME or PMX_HOME is not the user database's, prints the command that installs the hook for the home its CLI saves to (the hook was for the passwd home, where nothing was saved)", () => {
    const seen = mkdtempSync(join(tmpdir(), 'pmx-seen-'));
    chmodSync(seen, 0o755);
    const bin = join(seen, relative(ROOT, PMX_BIN));
    // nobody's own folder as its HOME (one that is not the user's is passed over: sudo keeping the caller's HOME)
    const own = mkdtempSync(join(tmpdir(), 'pmx-nobody-home-'));
    chmodSync(own, 0o755);
    chownSync(own, 65534, 65534);
    const run = (extra: Record<string, string>): string => {
      const env = { ...pmx.env(), HOME: own, ...extra };
      delete (env as Record<string, string | undefined>).PMX_STARTUP_ROOT;
      if (!extra.PMX_HOME) delete (env as Record<string, string | undefined>).PMX_HOME;
      const asNobody = `mount --bind "$0" "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" "$3" startup systemd`;
      const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', asNobody, ROOT, seen, process.execPath, bin], { env, cwd: '/', encoding: 'utf8', timeout: 20_000 });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout.trimEnd().split('\n').at(-1)!;
    };
    try {
      const byHome = run({});
      expect(byHome).toBe(`sudo env PATH=$PATH:${dirname(process.execPath)} ${process.execPath} ${bin} startup systemd -u nobody --hp ${own}`);
      const byPmxHome = run({ PMX_HOME: join(own, 'agent-home') });
      expect(byPmxHome).toBe(`sudo env PATH=$PATH:${dirname(process.execPath)} ${process.execPath} ${bin} startup systemd -u nobody --hp ${own} --pmx-home ${join(own, 'agent-home')}`);
      const asRoot = spawnSync('sh', ['-c', byPmxHome.replace(/^sudo /, '').replace(bin, PMX_BIN)], { env: { ...pmx.env(), ...withRoot }, encoding: 'utf8' });
      expect(asRoot.status, asRoot.stderr).toBe(0);
      expect(readUnit('pmx-nobody').env.PMX_HOME).toBe(join(own, 'agent-home'));
    } finally {
      rmSync(seen, { recursive: true });
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('the pmx save reminder', () => {
  it('reminds when nothing is saved or the list changed since, and not after pmx save', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'r1', '--kill-timeout', '100000']);
    const first = await pmx.ok(['startup', 'systemd', '--service-name', 'pmx-remind'], { env: withRoot });
    expect(first).toContain("Nothing is saved yet");
    expect(readUnit('pmx-remind').text).toMatch(/^TimeoutStopSec=130$/m); // the 100 s kill_timeout, and 30 s more
    await pmx.ok(['save']);
    expect(await pmx.ok(['startup', 'systemd', '--service-name', 'pmx-remind'], { env: withRoot })).not.toContain('pmx save');
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'r2']);
    expect(await pmx.ok(['startup', 'systemd', '--service-name', 'pmx-remind'], { env: withRoot })).toMatch(/differs from the one saved at .*not saved: r2 \(id 1\)/);
    await pmx.ok(['save']);
    expect(await pmx.ok(['startup', 'systemd', '--service-name', 'pmx-remind'], { env: withRoot })).not.toContain('pmx save');
    await pmx.ok(['delete', 'all']);
    await pmx.ok(['save', '--force']);
  });
});

describe('a simulated reboot: the unit ExecStart, exactly as written, brings every saved app back', () => {
  const SERVICE = 'pmx-reboot';
  let runtime: { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } | null = null;

  /**
   * SIGKILLs the agent and every app, as a power cut would, and waits until they are gone. After a
   * real reboot the agent's state file names processes of another boot, which the next agent
   * ignores (it carries the boot id); without a reboot it is removed here to the same effect.
   */
  async function powerCut(): Promise<void> {
    const pids = [...(await pmx.jlist()).map((entry) => entry.pid).filter((pid) => pid > 0), pmx.agentPid()!];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await eventually('everything to die', () => pids.every((pid) => !alive(pid)));
    rmSync(join(pmx.home, 'agent.state'), { force: true });
  }

  /** Runs ExecStart= with only the unit's Environment= (and what systemd adds for User=). */
  function boot(): NonNullable<typeof runtime> {
    const unit = readUnit(SERVICE);
    const env = { ...unit.env, USER: unit.user, LOGNAME: unit.user, HOME: '/root', SHELL: '/bin/sh' };
    const child = spawn(unit.execStart[0]!, unit.execStart.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    runtimes.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return { child, stderr: () => stderr, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  }

  async function expectBack(before: JlistEntry[]): Promise<void> {
    await eventually('the runtime to resurrect', () => runtime!.stderr().includes('Resurrected 3 processes'));
    expect(pmx.agentPid()).toBe(runtime!.child.pid);
    const after = await pmx.jlist();
    expect(after.map((p) => [p.pm_id, p.name, p.pm2_env.namespace, p.pm2_env.status])).toEqual([
      [0, 'a', 'ns1', 'online'],
      [1, 'b', 'ns2', 'online'],
      [2, 'c', 'default', 'stopped'],
    ]);
    const a = after[0]!;
    expect(a.pm2_env.env.MARK).toBe('one');
    expect(readFileSync(`/proc/${a.pid}/environ`, 'utf8').split('\0')).toContain('MARK=one');
    for (const entry of after.filter((p) => p.pid > 0)) expect(before.map((p) => p.pid)).not.toContain(entry.pid);
  }

  it('starts the saved apps with their names, namespaces and environment', async () => {
    await pmx.ok(['start', join(apps, 'env.js'), '-n', 'a', '--namespace', 'ns1'], { env: { MARK: 'one', SHOW: 'MARK' } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'b', '--namespace', 'ns2']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'c']);
    await pmx.ok(['stop', 'c']);
    await pmx.ok(['save']);
    await pmx.ok(['startup', 'systemd', '--service-name', SERVICE], { env: withRoot });
    const unit = readUnit(SERVICE);
    expect(unit.execStart.slice(1)).toEqual([join(dirname(PMX_BIN), 'pmx-runtime.js'), '--resurrect']);
    expect(unit.env.PMX_HOME).toBe(pmx.home);
    const before = await pmx.jlist();
    await powerCut();
    runtime = boot();
    await expectBack(before);
  });

  it.each([
    ['a crash tore dump.pmx: the previous dump, kept as .bak, is used', (dump: string) => writeFileSync(dump, '{"pmx_dump":1,"processes":[{"pm_')],
    ['a crash stopped save before its rename: dump.pmx is still whole', (dump: string) => writeFileSync(`${dump}.4242.tmp`, '{"pmx_dump":1,"proc')],
  ])('also when %s', async (_case, crash) => {
    await pmx.ok(['save']); // dump.pmx.bak now holds the same list
    crash(join(pmx.home, 'dump.pmx'));
    const before = await pmx.jlist();
    const previous = runtime!;
    await powerCut();
    expect(await previous.exited).toBe(null); // SIGKILLed
    runtime = boot();
    await expectBack(before);
  });

  it('stops every app and exits 0 on SIGTERM, as systemctl stop sends it', async () => {
    const list = await pmx.jlist();
    runtime!.child.kill('SIGTERM');
    expect(await runtime!.exited).toBe(0);
    for (const entry of list) if (entry.pid > 0) expect(alive(entry.pid)).toBe(false);
  });
});
