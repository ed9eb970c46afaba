// `pmx start <script> [flags] -- args`: PM2's defaults, the interpreter PM2 would pick, and errors
// that name the flag at fault.
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { APP_DEFAULTS } from '../../../agent/protocol/app-spec.js';
import { EcosystemError, specFromCli } from '../../../cli/ecosystem/index.js';
import { tmpFiles } from './tmp-files.js';

const apps = join(FIXTURES, 'apps');
const forever = join(apps, 'forever.js');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH, PMX_HOME: '/home/x/.pmx', SHELL_ONLY: 'yes', UNSET: undefined };

const failure = (run: () => unknown): EcosystemError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EcosystemError);
    return error as EcosystemError;
  }
  throw new Error('expected an EcosystemError');
};

describe('defaults', () => {
  it('names the app after the script, and takes PM2’s defaults for everything else', () => {
    const spec = specFromCli('forever.js', {}, [], baseEnv, apps);
    expect(spec).toEqual({
      ...APP_DEFAULTS,
      name: 'forever',
      script: forever,
      cwd: apps,
      interpreter: 'node',
      env: { HOME: '/home/x', PATH: process.env.PATH, PMX_HOME: '/home/x/.pmx', SHELL_ONLY: 'yes' },
      app_env: {},
      version: '1.2.3',
      // PM2's default for a fork app that asked for no instances: one set of log files
      merge_logs: true,
    });
  });

  it("reads --watch-delay as PM2 does: a bare number is seconds (it was ms: `--watch-delay 4` debounced 4 ms), a unit says otherwise", () => {
    const delay = (value: string): number => specFromCli(forever, { watch: true, watchDelay: value }, [], baseEnv, apps).watch_delay;
    expect([delay('4'), delay('1.5'), delay('4000ms'), delay('2s')]).toEqual([4000, 1500, 4000, 2000]);
  });

  it('picks the interpreter by extension', () => {
    expect(specFromCli('worker.py', {}, [], baseEnv, apps)).toMatchObject({ name: 'worker', interpreter: 'python3' });
    expect(specFromCli('worker.sh', {}, [], baseEnv, apps)).toMatchObject({ name: 'worker', interpreter: 'bash' });
    const dir = tmpFiles({ 'server.mjs': '', 'tool.cjs': '' });
    for (const script of ['server.mjs', 'tool.cjs']) expect(specFromCli(script, {}, [], baseEnv, dir).interpreter).toBe('node');
  });

  it('runs TypeScript as PM2 7 does: with bun when it is on PATH, else with a node that strips types, else says what to do', () => {
    const dir = tmpFiles({ 'app.ts': '', 'view.tsx': '', 'bin/bun': '#!/bin/sh\n', 'bin/deno': '#!/bin/sh\n', 'empty/.keep': '' }, { 'bin/bun': 0o755, 'bin/deno': 0o755 });
    const withBun = { ...baseEnv, PATH: `${join(dir, 'bin')}:/usr/bin:/bin` };
    for (const script of ['app.ts', 'view.tsx']) expect(specFromCli(script, {}, [], withBun, dir).interpreter).toBe('bun');
    expect(specFromCli('app.ts', { interpreter: 'deno', interpreterArgs: 'run --allow-net' }, [], withBun, dir)).toMatchObject({ interpreter: 'deno', interpreter_args: ['run', '--allow-net'] });
    const withoutBun = { ...baseEnv, PATH: join(dir, 'empty') };
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 18)) {
      expect(specFromCli('app.ts', {}, [], withoutBun, dir).interpreter).toBe('node');
    } else {
      const error = failure(() => specFromCli('app.ts', {}, [], withoutBun, dir));
      expect(error.message).toBe("pmx start: `--interpreter` is not set, and 'app.ts' is TypeScript: install bun (on PATH), use Node.js >= 22.18, or name one (interpreter: 'deno' with interpreter_args: 'run --allow-net', or 'tsx')");
      expect([error.code, error.key]).toEqual(['ECOSYSTEM_INVALID', 'interpreter']);
    }
  });

  it('reads a file without a known extension as PM2 does, honouring its shebang', () => {
    const dir = tmpFiles(
      { 'bin/www': '#!/usr/bin/env node\nrequire("../app");\n', plain: 'console.log(1)\n', 'run-me': '#!/bin/sh\necho hi\n', 'not-exec': '#!/bin/sh\necho hi\n', binary: '\x7fELF\x00\x01' },
      { 'run-me': 0o755, binary: 0o755 },
    );
    expect(specFromCli('bin/www', {}, [], baseEnv, dir)).toMatchObject({ name: 'www', interpreter: 'node' });
    expect(specFromCli('plain', {}, [], baseEnv, dir).interpreter).toBe('node');
    expect(specFromCli('run-me', {}, [], baseEnv, dir).interpreter).toBe('none');
    expect(specFromCli('not-exec', {}, [], baseEnv, dir).interpreter).toBe('/bin/sh');
    expect(specFromCli('binary', {}, [], baseEnv, dir).interpreter).toBe('none');
    expect(specFromCli(join(apps, 'native-exec'), {}, [], baseEnv, '/').interpreter).toBe('none');
  });

  it('runs a directory with node, as in PM2’s own template', () => {
    const dir = tmpFiles({ 'service-worker/index.js': '' });
    expect(specFromCli('./service-worker/', {}, [], baseEnv, dir)).toMatchObject({ script: join(dir, 'service-worker'), interpreter: 'node', name: 'service-worker' });
  });

  it('finds a bare command on PATH, and runs it directly', () => {
    const spec = specFromCli('sleep', {}, ['1000'], baseEnv, '/');
    expect(spec).toMatchObject({ name: 'sleep', interpreter: 'none', args: ['1000'] });
    expect(spec.script).toMatch(/^\/.+\/sleep$/);
  });

  it('runs a command line that is no file with bash -c, named after the line, as PM2 does', () => {
    const spec = specFromCli('sleep 1000', {}, [], baseEnv, '/');
    expect(spec).toMatchObject({ name: 'sleep 1000', interpreter: 'none', args: ['-c', 'sleep 1000'] });
    expect(spec.script).toMatch(/\/(ba)?sh$/);
  });
});

describe('flags', () => {
  it('resolve -i max, 0 and -n against the cores, and put node apps with -i in cluster mode', () => {
    const cores = availableParallelism();
    expect(specFromCli(forever, { instances: 'max' }, [], baseEnv, '/')).toMatchObject({ instances: cores, exec_mode: 'cluster_mode' });
    expect(specFromCli(forever, { instances: '0' }, [], baseEnv, '/').instances).toBe(cores);
    expect(specFromCli(forever, { instances: '-1' }, [], baseEnv, '/').instances).toBe(Math.max(1, cores - 1));
    expect(specFromCli(forever, { instances: '3' }, [], baseEnv, '/')).toMatchObject({ instances: 3, exec_mode: 'cluster_mode' });
    // PM2: any -i puts a node app in cluster mode, even -i 1
    expect(specFromCli(forever, { instances: '1' }, [], baseEnv, '/').exec_mode).toBe('cluster_mode');
    expect(specFromCli(forever, { instances: '3', execMode: 'fork' }, [], baseEnv, '/').exec_mode).toBe('fork_mode');
  });

  it('keep non-node apps in fork mode, whatever -i or -x say', () => {
    expect(specFromCli(join(apps, 'worker.py'), { instances: '2' }, [], baseEnv, '/')).toMatchObject({ instances: 2, exec_mode: 'fork_mode' });
    expect(specFromCli(join(apps, 'worker.py'), { execMode: 'cluster' }, [], baseEnv, '/').exec_mode).toBe('fork_mode');
  });

  it('map onto the app’s keys', () => {
    const spec = specFromCli(
      'forever.js',
      {
        name: 'api',
        namespace: 'web',
        cwd: apps,
        nodeArgs: '--max-old-space-size=64 --trace-warnings',
        watch: ['src', 'lib'],
        ignoreWatch: ['node_modules'],
        maxMemoryRestart: '200M',
        restartDelay: '2s',
        minUptime: '500ms',
        cron: '0 3 * * *',
        stopExitCodes: ['0', '3'],
        autorestart: false,
        waitReady: true,
        listenTimeout: '10s',
        output: 'out.log',
        error: '/var/log/err.log',
        log: true,
        mergeLogs: true,
        time: true,
        logType: 'json',
        instanceVar: 'INSTANCE',
        listen: ['8080'],
      },
      ['--port', '80'],
      baseEnv,
      '/',
    );
    expect(spec).toMatchObject({
      name: 'api',
      namespace: 'web',
      script: forever,
      args: ['--port', '80'],
      interpreter_args: ['--max-old-space-size=64', '--trace-warnings'],
      watch: ['src', 'lib'],
      ignore_watch: ['node_modules'],
      max_memory_restart: 200 * 1024 ** 2,
      restart_delay: 2000,
      min_uptime: 500,
      cron_restart: '0 3 * * *',
      stop_exit_codes: [0, 3],
      autorestart: false,
      wait_ready: true,
      listen_timeout: 10_000,
      out_file: join(apps, 'out.log'),
      error_file: '/var/log/err.log',
      log_file: '/home/x/.pmx/logs/api.log',
      merge_logs: true,
      time: true,
      log_type: 'json',
      instance_var: 'INSTANCE',
      listen: ['8080'],
    });
  });

  it('name the flag of a wrong value', () => {
    const cases: [Parameters<typeof specFromCli>[1], string][] = [
      [{ killTimeout: 'soon' }, "pmx start: `--kill-timeout` must be a duration in ms (a number, or '500ms', '2s', '1m'), got 'soon' (string)"],
      [{ maxMemoryRestart: 'lots' }, "pmx start: `--max-memory-restart` must be a size such as '200M', '1G', '512K' or a number of bytes, got 'lots' (string)"],
      [{ instances: 'many' }, "pmx start: `--instances` must be a number, 'max' or -n, got 'many' (string)"],
      [{ execMode: 'turbo' }, "pmx start: `--exec-mode` must be 'fork' or 'cluster', got 'turbo' (string)"],
      [{ stopExitCodes: ['x'] }, 'pmx start: `--stop-exit-codes` must be an exit code (0-255) or an array of them, got ["x"] (array)'],
      [{ maxRestarts: '-2' }, "pmx start: `--max-restarts` must be a whole number of at least 0, got '-2' (string)"],
      [{ cwd: '/no/such/dir' }, "pmx start: `--cwd` must be an existing directory, got '/no/such/dir' (string)"],
    ];
    for (const [flags, message] of cases) {
      const error = failure(() => specFromCli(forever, flags, [], baseEnv, '/'));
      expect(error.message).toBe(message);
      expect(error.code).toBe('ECOSYSTEM_INVALID');
      expect(error.file).toBeUndefined();
    }
    expect(failure(() => specFromCli(forever, { cronRestart: 'often' }, [], baseEnv, '/')).message).toMatch(/^pmx start: `--cron-restart` must be a valid cron expression/);
  });

  it('pass an interpreter through as given, and refuse one that is not there (PM2: NOT AVAILABLE in PATH), registering nothing', () => {
    expect(specFromCli(forever, { interpreter: '/bin/sh' }, [], baseEnv, '/').interpreter).toBe('/bin/sh');
    const absent = failure(() => specFromCli(forever, { interpreter: '/nonexistent/python9' }, [], baseEnv, '/'));
    expect(absent.message).toBe("pmx start: `--interpreter` '/nonexistent/python9' is not an executable file");
    expect([absent.code, absent.key]).toEqual(['ECOSYSTEM_INVALID', 'interpreter']);
    expect(failure(() => specFromCli(forever, { interpreter: 'python9' }, [], baseEnv, '/')).message).toBe("pmx start: `--interpreter` 'python9' is not on PATH");
    // the one picked for the extension
    const dir = tmpFiles({ 'job.py': '', 'empty/.keep': '' });
    expect(failure(() => specFromCli('job.py', {}, [], { ...baseEnv, PATH: join(dir, 'empty') }, dir)).message).toBe("pmx start: `--interpreter` is not set, and 'job.py' runs with 'python3', which is not on PATH: install it, or name an interpreter");
  });

  it('names the path of a script that is not there', () => {
    const error = failure(() => specFromCli('./missing.js', {}, [], baseEnv, apps));
    expect(error).toMatchObject({ code: 'SCRIPT_NOT_FOUND', key: 'script', value: './missing.js' });
    expect(error.message).toBe(`pmx start: \`script\` './missing.js' not found: no file ${join(apps, 'missing.js')}`);
  });
});
