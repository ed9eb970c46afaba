// Every init template renders to a file its init system accepts, and a path full of spaces,
// quotes, `%`, `$`, backquotes and backslashes reaches the agent exactly as it was.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderService, renderTemplate } from '../../../cli/startup/render.js';
import type { StartupValues } from '../../../cli/startup/values.js';
import { INIT_SYSTEMS } from '../../../cli/startup/systems.js';
import { execLine, systemdAssignments, systemdWords, upstartValue } from './unit-syntax.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx startup \'q" %h $HOME `x` \\b '));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// stands in for bin/pmx-runtime.js and bin/pmx.cjs: shows what it was started with
const probe = join(dir, 'print args.js');
writeFileSync(probe, 'console.log(JSON.stringify({ argv: process.argv.slice(1), PMX_HOME: process.env.PMX_HOME, PATH: process.env.PATH }))');

const values: StartupValues = {
  serviceName: 'pmx-test',
  user: 'root',
  home: dir,
  pmxHome: join(dir, '.pmx'),
  node: process.execPath,
  runtime: probe,
  cli: probe,
  path: `${dirname(process.execPath)}:/usr/bin:/bin:${dir}`,
  stopTimeoutSec: 90,
};
const started = { argv: [probe, '--resurrect'], PMX_HOME: values.pmxHome, PATH: values.path };

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Runs a shell snippet with `file` as $1; returns its stdout, failing on a non-zero exit. */
function sh(script: string, file: string): string {
  const result = spawnSync('sh', ['-c', script, 'sh', file], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (result.status !== 0) throw new Error(`sh exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function written(system: (typeof INIT_SYSTEMS)[number], name: string): { file: string; text: string } {
  const { text } = renderService(system, values);
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, text };
}

describe('init templates', () => {
  it('render the systemd unit that systemd-analyze verifies, and its ExecStart runs the runtime exactly', () => {
    const { file, text } = written('systemd', 'pmx-test.service');
    if (has('systemd-analyze')) {
      const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(verify.stderr.split('\n').filter((line) => line.includes('pmx-test'))).toEqual([]);
      expect(verify.status).toBe(0);
    }
    expect(text).toMatch(/^Type=simple$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^KillMode=mixed$/m);
    expect(text).toMatch(/^TimeoutStopSec=90$/m);
    expect(text).toMatch(/^User=root$/m);
    const argv = systemdWords(text.match(/^ExecStart=(.*)$/m)![1]!, 'exec');
    const env = systemdAssignments(text.match(/^Environment=(.*)$/m)![1]!);
    expect(env).toEqual({ PMX_HOME: values.pmxHome, PATH: values.path });
    const run = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env });
    expect(JSON.parse(run.stdout)).toEqual(started);
  });

  // plistlib reads plists as launchd does; without python3 only this check is skipped
  it.skipIf(!has('python3'))('render a launchd plist that parses to the expected job', () => {
    const { file } = written('launchd', 'pmx-test.plist');
    const parsed = spawnSync('python3', ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file], { encoding: 'utf8' });
    expect(parsed.status, parsed.stderr).toBe(0);
    expect(JSON.parse(parsed.stdout)).toEqual({
      Label: 'pmx-test',
      UserName: 'root',
      ProgramArguments: [values.node, values.runtime, '--resurrect'],
      EnvironmentVariables: { PMX_HOME: values.pmxHome, PATH: values.path },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ExitTimeOut: 90,
    });
  });

  it('render an openrc script whose command, as openrc evals it, runs the runtime exactly', () => {
    const { file, text } = written('openrc', 'openrc');
    expect(text.startsWith('#!/sbin/openrc-run\n')).toBe(true);
    expect(text).toMatch(/^supervisor=supervise-daemon$/m);
    sh('sh -n "$1"', file);
    const out = sh('. "$1"; eval exec $command $command_args', file);
    expect(JSON.parse(out)).toEqual(started);
  });

  it('render an upstart job whose env and exec lines carry the values exactly', () => {
    const { text } = written('upstart', 'pmx-test.conf');
    expect(text).toMatch(/^respawn$/m);
    expect(text).toMatch(/^setuid root$/m);
    expect(text).toMatch(/^kill timeout 90$/m);
    const env = Object.fromEntries([...text.matchAll(/^env ([A-Z_]+)=(.*)$/gm)].map(([, key, value]) => [key!, upstartValue(value!)]));
    expect(env).toEqual({ PMX_HOME: values.pmxHome, PATH: values.path });
    // upstart hands an exec line with shell characters to /bin/sh -e -c
    const run = spawnSync('/bin/sh', ['-e', '-c', `exec ${execLine(text)}`], { encoding: 'utf8', env });
    expect(JSON.parse(run.stdout)).toEqual(started);
  });

  it('render a SysV script whose run and kill commands run as written', () => {
    const { file, text } = written('systemv', 'pmx-test');
    expect(text).toMatch(/^# Provides: +pmx-test$/m);
    sh('sh -n "$1"', file);
    const assignments = 'eval "$(grep -E "^(NAME|PMX_USER|PIDFILE|RUN|KILL)=" "$1")"';
    expect(JSON.parse(sh(`${assignments}; sh -c "$RUN"`, file))).toEqual(started);
    expect(JSON.parse(sh(`${assignments}; sh -c "$KILL"`, file)).argv).toEqual([probe, 'kill']);
    expect(sh(`${assignments}; echo "$NAME $PMX_USER $PIDFILE"`, file)).toBe('pmx-test root /var/run/pmx-test.pid\n');
  });

  it('render an rc.d script whose daemon(8) arguments, as rc.subr evals them, run the runtime exactly', () => {
    const { file, text } = written('rcd', 'pmx_test');
    expect(text).toMatch(/^# PROVIDE: pmx_test$/m);
    expect(text).toMatch(/^rcvar=pmx_test_enable$/m);
    sh('sh -n "$1"', file);
    const stubs = 'load_rc_config() { :; }; run_rc_command() { :; }; eval "$(grep -v "^\\. /etc/rc.subr" "$1")"';
    const out = sh(`${stubs}; echo "$pmx_test_enable"; eval "set -- $command_args"; echo "$*" | cut -d' ' -f1-6; while [ "$1" != -- ]; do shift; done; shift; exec "$@"`, file);
    const [enabled, daemonArgs, json] = out.trimEnd().split('\n');
    expect(enabled).toBe('NO');
    expect(daemonArgs).toBe('-f -r -P /var/run/pmx_test.pid -u root');
    expect(JSON.parse(json!)).toEqual(started);
  });
});

describe('renderTemplate', () => {
  it('refuses an unknown variable, an unknown context and a value with a newline', () => {
    expect(() => renderTemplate('{{nope}}', 'shell', {})).toThrow(/unknown variable 'nope'/);
    expect(() => renderTemplate('{{a|loud}}', 'shell', { a: 'x' })).toThrow(/unknown context 'loud'/);
    expect(() => renderTemplate('{{a}}', 'systemd', { a: 'x\ny' })).toThrow(/control character/);
  });

  it('writes raw values only when they are plain names', () => {
    expect(renderTemplate('User={{u|raw}}', 'systemd', { u: 'deploy-1' })).toBe('User=deploy-1');
    expect(() => renderTemplate('User={{u|raw}}', 'systemd', { u: 'a b' })).toThrow(/may hold only/);
  });

  it('escapes % and $ for systemd Exec lines, and only % in assignments', () => {
    expect(renderTemplate('{{v}}', 'systemd', { v: '/a%b$c' })).toBe('"/a%%b$$c"');
    expect(renderTemplate('{{v|env}}', 'systemd', { v: 'K=a b$%' })).toBe('"K=a b$%%"');
  });

  it('renders every init system it knows', () => {
    for (const system of INIT_SYSTEMS) expect(renderService(system, values).text).not.toContain('{{');
  });
});
