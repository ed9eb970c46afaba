// Differential: the other commands PM2 users type (ls at a given width, describe, env, pid, id,
// set/get/unset/multiset, save/resurrect, ping, deploy's words and flags, serve --spa, unknown and
// unsupported commands).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { APPS, Differential, type JlistEntry, type Outcome, allOnline, settled, statuses, until } from './harness.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write(APPS);
}, 300_000);
afterEach(() => diff.clear());
afterAll(() => diff?.close());

const codes = (pair: { pm2: Outcome; pmx: Outcome }) => ({ pm2: pair.pm2.code, pmx: pair.pmx.code });
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
const lines = (text: string) => plain(text).split('\n').filter((line) => line.trim() !== '');

/** The lines of the process table, the cells that change between runs (pid, uptime, cpu, memory) blanked. */
function tableRows(text: string): string[] {
  const table = lines(text).filter((line) => /^[┌│├└]/.test(line));
  const header = table.find((line) => line.startsWith('│'))?.split('│').map((cell) => cell.trim()) ?? [];
  const volatile = new Set(['pid', 'uptime', 'cpu', 'mem', 'memory'].map((name) => header.indexOf(name)).filter((index) => index >= 0));
  return table.map((line, row) => (row <= 1 || !line.startsWith('│') ? line : line.split('│').map((cell, index) => (volatile.has(index) ? ' '.repeat(cell.length) : cell)).join('│')));
}

describe('ls', () => {
  for (const columns of [80, 120, 135, 200]) {
    it(`draws PM2's table at ${columns} columns: the same layout, names cut only where PM2 cuts them`, async () => {
      await diff.run(['start', 'hold.js', '-n', 'payments-worker-eu']);
      await diff.run(['start', 'hold.js', '-n', 'a-much-longer-name-for-the-nightly-batch-job']);
      const { pm2, pmx } = await diff.sh(`script -qec "stty cols ${columns}; pm ls" /dev/null`);
      expect(tableRows(pmx.stdout)).toEqual(tableRows(pm2.stdout));
      expect(tableRows(pmx.stdout).length).toBe(6);
    });
  }

  it('--sort orders the rows as PM2 does (by name by default; id:desc, name:desc)', async () => {
    for (const name of ['beta', 'alpha', 'gamma']) await diff.run(['start', 'hold.js', '-n', name]);
    for (const sort of [[], ['--sort', 'id:desc'], ['--sort', 'name:desc'], ['--sort', 'id']]) {
      const { pm2, pmx } = await diff.run(['ls', ...sort]);
      expect(codes({ pm2, pmx }), sort.join(' ')).toEqual({ pm2: 0, pmx: 0 });
      expect(tableRows(pmx.stdout), sort.join(' ')).toEqual(tableRows(pm2.stdout));
    }
  });

  it('-m prints the minimal list: a block of key : value lines per process, -m before the command too (PM2\'s global option)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'mini']);
    // the list's lines, not the messages before it
    const block = (text: string) => lines(text).filter((line) => /^\+--- | : /.test(line));
    const keys = (text: string) => block(text).map((line) => line.split(' : ')[0]!.replace(/^\+--- .*/, '+---'));
    const values = (text: string) => block(text).filter((line) => /^(\+---|pm2 id|status|mode|restarted|watching) /.test(line));
    for (const args of [['ls', '-m'], ['-m', 'ls'], ['--mini-list', 'ls'], ['-m', 'list'], ['ls', '--mini-list'], ['-m', 'restart', 'mini']]) {
      const { pm2, pmx } = await diff.run(args);
      expect(codes({ pm2, pmx }), args.join(' ')).toEqual({ pm2: 0, pmx: 0 });
      expect(keys(pmx.stdout), args.join(' ')).toEqual(keys(pm2.stdout));
      expect(keys(pmx.stdout), args.join(' ')).toContain('status');
      expect(values(pmx.stdout), args.join(' ')).toEqual(values(pm2.stdout));
    }
    // in id order, whatever the names and --sort: PM2 never sorts it
    for (const name of ['c-mini', 'a-mini', 'b-mini']) await diff.run(['start', 'hold.js', '-n', name]);
    for (const args of [['ls', '-m'], ['ls', '-m', '--sort', 'name:desc']]) {
      const { pm2, pmx } = await diff.run(args);
      const names = (text: string) => lines(text).filter((line) => line.startsWith('+--- ')).map((line) => line.slice(5).trim());
      expect(names(pmx.stdout), args.join(' ')).toEqual(names(pm2.stdout));
      expect(names(pmx.stdout), args.join(' ')).toEqual(['mini', 'c-mini', 'a-mini', 'b-mini']);
    }
  });

  it('--no-color anywhere on the line prints no escape on a terminal, for every command (a terminal otherwise gets colours)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'tinted']);
    // a pty, as under `ssh -t` or `docker exec -t`, with no colour variable set
    const escapes = (command: string) => `unset NO_COLOR FORCE_COLOR; script -qec "pm ${command}" /dev/null | grep -c $'\\e'`;
    for (const command of ['ls --no-color', '--no-color ls', 'describe tinted --no-color', 'restart tinted --no-color', 'stop --no-color tinted']) {
      const { pm2, pmx } = await diff.sh(escapes(command));
      expect(pmx.stdout.trim(), command).toBe(pm2.stdout.trim());
      expect(pmx.stdout.trim(), command).toBe('0');
    }
    const { pm2, pmx } = await diff.sh(escapes('ls'));
    expect(Number(pmx.stdout), 'ls without the flag').toBeGreaterThan(0);
    expect(Number(pm2.stdout), 'ls without the flag').toBeGreaterThan(0);
  });

  it('an empty list is the header row alone, exit 0', async () => {
    const { pm2, pmx } = await diff.run(['ls']);
    expect(codes({ pm2, pmx })).toEqual({ pm2: 0, pmx: 0 });
    expect(tableRows(pmx.stdout)).toEqual(tableRows(pm2.stdout));
  });
});

describe('describe, env', () => {
  it('describe shows PM2 rows in PM2 order (pmx adds its own after them)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'described', '--cron-restart', '0 3 * * *']);
    const { pm2, pmx } = await diff.run(['describe', 'described']);
    const keys = (text: string) => {
      const table = plain(text).split(/ Describing process[^\n]*\n/)[1]!.split('\n└')[0]!;
      return table.split('\n').filter((line) => line.startsWith('│')).map((line) => line.split('│')[1]!.trim());
    };
    const pmxKeys = keys(pmx.stdout).filter((key) => !['kill timeout', 'last exit', 'last error', 'log writing'].includes(key));
    expect(pmxKeys).toEqual(keys(pm2.stdout));
  });

  it('describe of an unknown name or a script path exits 1', async () => {
    await diff.run(['start', 'hold.js', '-n', 'known']);
    expect(codes(await diff.run(['describe', 'unknown']))).toEqual({ pm2: 1, pmx: 1 });
    expect(codes(await diff.run(['describe', 'hold.js']))).toEqual({ pm2: 1, pmx: 1 });
  });

  it('env <id> prints the app variables as KEY: value lines', async () => {
    await diff.run(['start', 'hold.js', '-n', 'envy'], { env: { FEATURE: 'on' } });
    const { pm2, pmx } = await diff.sh('pm env $(pm id envy | tr -dc 0-9) | grep "^FEATURE"');
    expect(plain(pmx.stdout)).toBe(plain(pm2.stdout));
    expect(plain(pmx.stdout)).toBe('FEATURE: on\n');
  });

  it('env <id> also prints the keys PM2 adds that scripts grep: NODE_APP_INSTANCE, namespace, unique_id', async () => {
    await diff.run(['start', 'hold.js', '-n', 'keyed']);
    const { pm2, pmx } = await diff.sh('pm env $(pm id keyed | tr -dc 0-9) | grep -E "^(NODE_APP_INSTANCE|namespace|unique_id):" | sed "s/unique_id: .*/unique_id: <id>/" | sort');
    expect(plain(pmx.stdout)).toBe(plain(pm2.stdout));
    expect(plain(pmx.stdout)).toBe('NODE_APP_INSTANCE: 0\nnamespace: default\nunique_id: <id>\n');
  });

  it('env <id> prints the version lines PM2 prints: version (N/A without a package.json version), node_version of a Node app only, km_link, vizion_running', async () => {
    diff.write({ 'shell.sh': 'sleep 600\n' });
    await diff.run(['start', 'hold.js', '-n', 'noded']);
    await diff.run(['start', 'shell.sh', '-n', 'shelled', '--interpreter', 'bash']);
    const versions = (name: string) => `pm env $(pm id ${name} | tr -dc 0-9) | grep -E "^(version|node_version|km_link|vizion_running):" | sort`;
    for (const name of ['noded', 'shelled']) {
      const { pm2, pmx } = await diff.sh(versions(name));
      expect(plain(pmx.stdout), name).toBe(plain(pm2.stdout));
    }
    const { pmx } = await diff.sh(versions('noded'));
    expect(plain(pmx.stdout)).toBe(`km_link: false\nnode_version: ${process.versions.node}\nversion: N/A\nvizion_running: false\n`);
  });
});

describe('differences on purpose', () => {
  it('flush of a name that matches nothing exits 1 (PM2: 0), logs of one 0 as PM2; messages keep the exit code, not the wording', async () => {
    const started = await diff.run(['start', 'hold.js', '-n', 'worded']);
    expect(codes(started)).toEqual({ pm2: 0, pmx: 0 });
    expect(plain(started.pm2.stdout)).toContain('[PM2] Done.');
    expect(plain(started.pmx.stdout)).toContain('[PMX] worded (id 0): online');
    expect(codes(await diff.run(['flush', 'nope']))).toEqual({ pm2: 0, pmx: 1 });
    expect(codes(await diff.run(['logs', 'nope', '--nostream', '--lines', '2']))).toEqual({ pm2: 0, pmx: 0 });
  });

  // seven commands on both tools, one after another: more than the default 30 s on a loaded machine
  it('refusals where PM2 says it did what it did not: --only naming an app the file has not, for every file command', { timeout: 90_000 }, async () => {
    diff.write({ 'only.config.js': `module.exports = { apps: [{ name: 'a1', script: 'hold.js' }] };` });
    const only = await diff.run(['start', 'only.config.js', '--only', 'zz']);
    expect(codes(only)).toEqual({ pm2: 0, pmx: 1 });
    expect(only.pmx.stderr).toContain("--only names 'zz', not an app of this file (apps: a1)");
    expect((await diff.jlist()).pmx).toEqual([]);
    // any file command, and one unknown name among known ones
    await diff.run(['start', 'only.config.js', '--only', 'a1']);
    for (const command of ['startOrRestart', 'startOrReload', 'restart', 'reload', 'stop', 'delete']) {
      const mixed = await diff.run([command, 'only.config.js', '--only', 'a1,zz']);
      expect(codes(mixed), command).toEqual({ pm2: 0, pmx: 1 });
    }
    const untouched = await diff.jlist();
    expect(untouched.pmx.map((entry) => `${entry.name}:${entry.pm2_env.status}:${entry.pm2_env.restart_time}`)).toEqual(['a1:online:0']);
  });

  it('refusals where PM2 says it did what it did not: an ecosystem file over an existing one, a signal to a stopped app, reset of an unknown id', async () => {
    const reset = await diff.run(['reset', '99']);
    expect(codes(reset)).toEqual({ pm2: 0, pmx: 1 });
    expect(reset.pm2.stderr).toContain('99 id unknown');

    expect(codes(await diff.run(['ecosystem']))).toEqual({ pm2: 0, pmx: 0 });
    diff.pmx.write({ 'ecosystem.config.js': '// mine\n' });
    const again = await diff.run(['ecosystem']);
    expect(codes(again)).toEqual({ pm2: 0, pmx: 1 });
    expect(diff.pmx.read('<WORK>/ecosystem.config.js')).toBe('// mine\n');

    await diff.run(['start', 'hold.js', '-n', 'halted']);
    await diff.run(['stop', 'halted']);
    const signalled = await diff.run(['sendSignal', 'SIGUSR2', 'halted']);
    expect(codes(signalled)).toEqual({ pm2: 0, pmx: 1 });
    expect(signalled.pmx.stderr).toContain('no running process to send SIGUSR2 to');
  });

  it('a process waiting to restart has pid 0 (PM2 keeps the pid of the process that ended)', async () => {
    diff.write({ 'ends.js': 'setTimeout(() => process.exit(3), 300);' });
    await diff.run(['start', 'ends.js', '--restart-delay', '20000']);
    const { pm2, pmx } = await settled(diff, (list) => list[0]?.pm2_env.status === 'waiting restart', 'both apps waiting to restart');
    expect(pmx[0]!.pid).toBe(0);
    expect(pm2[0]!.pid).toBeGreaterThan(0);
    const pids = await diff.run(['pid', 'ends']);
    expect({ pm2: pids.pm2.stdout.trim() === String(pm2[0]!.pid), pmx: pids.pmx.stdout.trim() }).toEqual({ pm2: true, pmx: '0' });
    // ls tells the time left where PM2 says `waiting …`
    const status = (text: string) => lines(text).find((line) => line.includes(' ends '))?.split('│').map((cell) => cell.trim()).find((cell) => /^wait/.test(cell));
    const listed = await diff.run(['ls']);
    expect(status(listed.pm2.stdout)).toMatch(/^waiting/);
    expect(status(listed.pmx.stdout)).toMatch(/^wait \d+s$/);
  });

  it('env takes a name as the other commands do; PM2 takes an id only', async () => {
    await diff.run(['start', 'hold.js', '-n', 'named'], { env: { FEATURE: 'on' } });
    const byName = await diff.run(['env', 'named']);
    expect(codes(byName)).toEqual({ pm2: 1, pmx: 0 });
    expect(byName.pm2.stderr).toContain('Modules with id named not found');
    expect(plain(byName.pmx.stdout)).toContain('FEATURE: on');
  });

  it("a file's app reloaded with --update-env keeps the variables of an earlier --env, as PM2 merges them", async () => {
    diff.write({ 'envs.config.js': `module.exports = { apps: [{ name: 'e2', script: 'env.js', env: { SHOW: 'FOO,BAR', FOO: 'foo' }, env_production: { BAR: 'bar' } }] };` });
    await diff.run(['startOrRestart', 'envs.config.js', '--env', 'production']);
    await diff.run(['reload', 'envs.config.js', '--update-env']);
    const { pm2, pmx } = await settled(diff, allOnline);
    // what the reloaded app printed: its second line
    const seen = (side: typeof diff.pm2, list: JlistEntry[]) =>
      until(`${side.name}'s reloaded app to print`, async () => side.read(String(list[0]!.pm2_env.pm_out_log_path)).split('\n')[1] || null);
    expect({ pm2: await seen(diff.pm2, pm2), pmx: await seen(diff.pmx, pmx) }).toEqual({ pm2: 'FOO=foo BAR=bar', pmx: 'FOO=foo BAR=bar' });
  });
});

describe('pid, id', () => {
  it('pid <name> prints the pid, pid alone every pid, id <name> the ids as `[ 0 ]`', async () => {
    await diff.run(['start', 'hold.js', '-n', 'first']);
    await diff.run(['start', 'hold.js', '-n', 'second']);
    await diff.run(['stop', 'second']);
    const { pm2, pmx } = await diff.sh('echo "$(pm pid first | wc -l) $(pm pid | wc -l) $(pm pid second)"; pm id second; pm id nothing');
    expect(pmx.stdout).toBe(pm2.stdout);
    expect(pmx.stdout).toBe('1 2 0\n[ 1 ]\n[]\n');
    const jl = await diff.jlist();
    const pids = await diff.run(['pid', 'first']);
    expect(pids.pmx.stdout.trim()).toBe(String(jl.pmx.find((entry) => entry.name === 'first')!.pid));
    expect(pids.pm2.stdout.trim()).toBe(String(jl.pm2.find((entry) => entry.name === 'first')!.pid));
  });

  // two commands per line on each side (PM2's CLI takes about a second to start on a loaded machine): 60 s
  it('words after describe, jlist, pid, env, id and ping are ignored, exit 0 (an unquoted `pm pid $NAME` with a space); prettylist refuses them on both', { timeout: 60_000 }, async () => {
    await diff.run(['start', 'hold.js', '-n', 'first']);
    for (const args of [['describe', 'first', 'extra'], ['jlist', 'extra'], ['pid', 'first', 'extra'], ['env', '0', 'extra'], ['id', 'first', 'extra'], ['ping', 'extra']]) {
      expect(codes(await diff.run(args)), args.join(' ')).toEqual({ pm2: 0, pmx: 0 });
    }
    expect(codes(await diff.run(['prettylist', 'extra']))).toEqual({ pm2: 1, pmx: 1 });
  });

  it('what id, ping, pid and jlist print with a word after them is what they print without it', async () => {
    await diff.run(['start', 'hold.js', '-n', 'first']);
    const { pm2, pmx } = await diff.sh('pm id first extra; pm ping extra; test "$(pm pid first extra)" = "$(pm pid first)" && echo same pid; pm jlist extra | grep -c \'"name":"first"\'');
    expect(pmx.stdout).toBe(pm2.stdout);
    expect(pmx.stdout).toBe("[ 0 ]\n{ msg: 'pong' }\nsame pid\n1\n");
  });
});

describe('set, get, unset, multiset (module_conf.json)', () => {
  it('set <app>:<key> is read back by get, listed by get, and gone after unset', async () => {
    const { pm2, pmx } = await diff.sh('pm set demo:level debug >/dev/null && pm get demo:level && pm get && pm unset demo:level >/dev/null && pm get demo:level; echo "exit=$?"');
    expect(lines(pmx.stdout)).toEqual(lines(pm2.stdout).map((line) => line.replace('$ pm2 set', '$ pmx set')));
    expect(lines(pmx.stdout)[0]).toBe('Value for module demo key level: debug');
    expect(lines(pmx.stdout).at(-1)).toBe('exit=1');
  });

  it('set pm2-logrotate:<key> is kept as PM2 keeps it, and pmx says on stderr that it rotates nothing by itself (no module runs)', async () => {
    const { pm2, pmx } = await diff.run(['set', 'pm2-logrotate:max_size', '1K']);
    expect({ pm2: pm2.code, pmx: pmx.code }).toEqual({ pm2: 0, pmx: 0 });
    const read = (side: typeof diff.pm2) => JSON.parse(side.read('<HOME>/module_conf.json'))['pm2-logrotate'];
    expect(read(diff.pmx)).toEqual(read(diff.pm2));
    expect(pmx.stderr).toContain("rotate nothing by themselves: pmx rotates with each app's `log_rotate`");
    await diff.run(['unset', 'pm2-logrotate:max_size']);
  });

  it('multiset sets several keys, in module_conf.json of the home', async () => {
    await diff.run(['multiset', 'demo:a 1 demo:b 2']);
    const read = (side: typeof diff.pm2) => JSON.parse(side.read('<HOME>/module_conf.json')).demo;
    expect(read(diff.pmx)).toEqual(read(diff.pm2));
    expect(read(diff.pmx)).toEqual({ a: '1', b: '2' });
  });

  it('set <app>:<key> restarts that app with the value in its environment', async () => {
    await diff.run(['start', 'hold.js', '-n', 'configured']);
    await diff.run(['set', 'configured:LEVEL', 'warn']);
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(pmx[0]!.pm2_env.env.LEVEL).toBe(pm2[0]!.pm2_env.env.LEVEL);
    expect(pmx[0]!.pm2_env.env.LEVEL).toBe('warn');
    expect(pmx[0]!.pm2_env.restart_time).toBe(pm2[0]!.pm2_env.restart_time);
    await diff.run(['unset', 'all']);
  });
});

describe('save, resurrect, ping, kill', () => {
  it('save, kill and resurrect bring the same list back', async () => {
    await diff.run(['start', 'hold.js', '-n', 'kept-1']);
    await diff.run(['start', 'hold.js', '-n', 'kept-2']);
    await diff.run(['stop', 'kept-2']);
    expect(codes(await diff.run(['save']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.run(['kill']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.run(['resurrect']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });

  it('save with no process keeps the saved list and exits 0', async () => {
    await diff.run(['start', 'hold.js', '-n', 'saved']);
    await diff.run(['save']);
    await diff.run(['delete', 'all']);
    expect(codes(await diff.run(['save']))).toEqual({ pm2: 0, pmx: 0 });
    await diff.run(['resurrect']);
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['saved:online']);
  });

  it('resurrect with nothing saved says so and exits 0 (a boot script goes on)', async () => {
    for (const file of ['dump.pm2', 'dump.pm2.bak']) rmSync(join(diff.pm2.home, file), { force: true });
    for (const file of ['dump.pmx', 'dump.pmx.bak']) rmSync(join(diff.pmx.home, file), { force: true });
    const resurrected = await diff.run(['resurrect']);
    expect(codes(resurrected)).toEqual({ pm2: 0, pmx: 0 });
    expect(resurrected.pmx.stdout).toContain('No processes saved; <HOME>/dump.pmx does not exist');
    expect((await diff.jlist()).pmx).toEqual([]);
  });

  it('ping answers { msg: \'pong\' }', async () => {
    const { pm2, pmx } = await diff.run(['ping']);
    expect(codes({ pm2, pmx })).toEqual({ pm2: 0, pmx: 0 });
    expect(lines(pmx.stdout).at(-1)).toBe(lines(pm2.stdout).at(-1));
  });
});

describe('deploy (no host is reached: its port is closed)', () => {
  // a git work tree of its own (the work folder is none: PM2's describe reads a repository's metadata)
  const deployFiles = (folder: string, environments: string[]) => ({
    [`${folder}/ecosystem.config.js`]: `module.exports = { apps: [{ name: 'site', script: 'app.js' }], deploy: { ${environments.map((name) => `${name}: { user: 'nobody', host: '127.0.0.1', port: '1', ref: 'origin/main', repo: 'https://example.invalid/site.git', path: '/nonexistent/site' }`).join(', ')} } };`,
    [`${folder}/app.js`]: APPS['hold.js'],
  });
  const repo = 'git init -q && git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm init';
  // what shows that a deploy went to its host: PM2's `--> Deploying`, pmx's host lines
  const deployed = (outcome: Outcome) => /Deploying|127\.0\.0\.1/.test(outcome.stdout + outcome.stderr);

  it('deploy <file> with no environment prints the help and exits 0, deploy help too, even when the file has one environment; deploy alone exits 1; none deploys', async () => {
    diff.write(deployFiles('help', ['production']));
    for (const args of [['deploy', 'ecosystem.config.js'], ['deploy', 'help'], ['deploy', 'help', 'setup']]) {
      const outcome = await diff.run(args, { cwd: 'help' });
      expect(codes(outcome), args.join(' ')).toEqual({ pm2: 0, pmx: 0 });
      expect({ pm2: deployed(outcome.pm2), pmx: deployed(outcome.pmx) }, args.join(' ')).toEqual({ pm2: false, pmx: false });
      expect(outcome.pmx.stdout, args.join(' ')).toContain('Usage: pmx deploy');
    }
    const alone = await diff.run(['deploy'], { cwd: 'help' });
    expect(codes(alone)).toEqual({ pm2: 1, pmx: 1 });
    expect({ pm2: deployed(alone.pm2), pmx: deployed(alone.pmx) }).toEqual({ pm2: false, pmx: false });
  });

  it("-f, --force and PM2's other options (--env production, --update-env) are taken on a clean tree, as PM2 hands them to pm2-deploy: each goes on to the host, where it fails", async () => {
    diff.write(deployFiles('clean', ['production', 'staging']));
    await diff.sh(repo, { cwd: 'clean' });
    // (not before the environment: PM2 reads the word after `deploy` as the environment, `-f` too)
    const taken = [['deploy', 'production', '-f'], ['deploy', 'ecosystem.config.js', 'staging', '--force'], ['deploy', 'ecosystem.config.js', 'production', '-f'], ['deploy', 'production', '--env', 'production', '--update-env']];
    for (const args of taken) {
      const outcome = await diff.run(args, { cwd: 'clean' });
      expect(codes(outcome), args.join(' ')).toEqual({ pm2: 1, pmx: 1 });
      expect({ pm2: deployed(outcome.pm2), pmx: deployed(outcome.pmx) }, args.join(' ')).toEqual({ pm2: true, pmx: true });
      expect(outcome.pmx.stderr, args.join(' ')).not.toContain('unknown option');
    }
  });

  it('uncommitted changes are refused without --force and deployed with it; differs on purpose: -f is --force, as pm2-deploy\'s usage says (its parser reads -F, which PM2 refuses)', async () => {
    diff.write(deployFiles('dirty', ['production']));
    await diff.sh(`${repo} && echo '// changed' >> app.js`, { cwd: 'dirty' });
    const refusal = 'commit or stash your changes before deploying';
    const plain = await diff.run(['deploy', 'production'], { cwd: 'dirty' });
    expect(codes(plain)).toEqual({ pm2: 1, pmx: 1 });
    expect({ pm2: plain.pm2.stderr.includes(refusal), pmx: plain.pmx.stderr.includes(refusal) }).toEqual({ pm2: true, pmx: true });
    const forced = await diff.run(['deploy', 'production', '--force'], { cwd: 'dirty' });
    expect({ pm2: forced.pm2.stderr.includes(refusal), pmx: forced.pmx.stderr.includes(refusal) }).toEqual({ pm2: false, pmx: false });
    expect({ pm2: deployed(forced.pm2), pmx: deployed(forced.pmx) }).toEqual({ pm2: true, pmx: true });
    const short = await diff.run(['deploy', 'production', '-f'], { cwd: 'dirty' });
    expect(codes(short)).toEqual({ pm2: 1, pmx: 1 });
    expect({ pm2: short.pm2.stderr.includes(refusal), pmx: short.pmx.stderr.includes(refusal) }).toEqual({ pm2: true, pmx: false });
    expect(deployed(short.pmx)).toBe(true);
  });
});

describe('serve', () => {
  it('serve --spa answers the file of that name at the root, then the home page, for paths that name no file', async () => {
    diff.write({ 'site/index.html': '<p>home</p>', 'site/main.js': 'main', 'site/about.txt': 'about' });
    const port = 46_000 + (process.pid % 1000) * 2;
    await diff.pm2.run(['serve', 'site', String(port), '--spa', '-n', 'spa']);
    await diff.pmx.run(['serve', 'site', String(port + 1), '--spa', '-n', 'spa']);
    const get = (p: number, path: string) =>
      new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: p, path, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        }).on('error', reject).end();
      });
    for (const path of ['/', '/about.txt', '/users/12/main.js', '/users/12', '/no/such/page']) {
      const answers = await until(`both servers to answer ${path}`, async () => Promise.all([get(port, path), get(port + 1, path)]));
      expect(answers[1], path).toBe(answers[0]);
    }
  });
});

describe('commands that do not exist', () => {
  it('an unknown command exits 1 with a short hint, not the whole usage', async () => {
    const { pm2, pmx } = await diff.run(['frobnicate']);
    expect(codes({ pm2, pmx })).toEqual({ pm2: 1, pmx: 1 });
    expect(lines(pmx.stdout + pmx.stderr).length).toBeLessThanOrEqual(3);
    expect(pmx.stderr).toContain("unknown command 'frobnicate'");
  });

  for (const command of ['link', 'plus', 'install', 'trigger']) {
    it(`differs on purpose: ${command} answers in one line why pmx has no such command, exit 1`, async () => {
      const outcome = await diff.pmx.run([command, 'a', 'b']);
      expect(outcome.code).toBe(1);
      expect(lines(outcome.stdout + outcome.stderr)).toHaveLength(1);
      expect(outcome.stderr).toContain(`pmx ${command}: not supported:`);
    });
  }
});
