// `hang_timeout` and `health`: read into the spec with their defaults; a wrong value names the
// file, the app, the key (and the inner key) with what was expected; nothing is started.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { specProblem } from '../../../agent/rpc/spec-check.js';
import { tmpFile } from './tmp-files.js';

const forever = join(FIXTURES, 'apps/forever.js');
const worker = join(FIXTURES, 'apps/worker.sh');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH };

function fileWith(keys: Record<string, unknown>, script = forever): string {
  return tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script, ...keys }] })};\n`);
}

async function errorFor(keys: Record<string, unknown>): Promise<string> {
  const error = await loadEcosystem(fileWith(keys), { baseEnv }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(EcosystemError);
  expect(error).toMatchObject({ code: 'ECOSYSTEM_INVALID', app: 'api' });
  expect((error as EcosystemError).file).toMatch(/ecosystem\.config\.js$/);
  return (error as EcosystemError).message.replace(/^[^:]*\//, '');
}

describe('reading hang_timeout and health', () => {
  it('takes durations, fills the health defaults, and leaves both off by default', async () => {
    const { apps } = await loadEcosystem(fileWith({ hang_timeout: '30s', health: { http: 'http://127.0.0.1:3000/health', failures: 5 } }), { baseEnv });
    expect(apps[0]).toMatchObject({ hang_timeout: 30_000, health_check: { target: { http: 'http://127.0.0.1:3000/health' }, interval: 10_000, timeout: 5000, failures: 5, start_period: 0 } });
    const plain = await loadEcosystem(fileWith({}), { baseEnv });
    expect(plain.apps[0]).toMatchObject({ hang_timeout: 0, health_check: null });
  });

  it('never shows the password of a probe URL in an error about its block', async () => {
    const message = await errorFor({ health: { http: 'http://monitor:s3cret-pw@127.0.0.1:3000/health', interval: 'often' } });
    expect(message).toContain('interval');
    expect(message).toContain('http://monitor:***@127.0.0.1:3000/health');
    expect(message).not.toContain('s3cret-pw');
  });

  it('reads a tcp probe as a port or host:port, and an exec probe as a command', async () => {
    const tcp = await loadEcosystem(fileWith({ health: { tcp: 3000, interval: '1s', start_period: '5s' } }), { baseEnv });
    expect(tcp.apps[0]!.health_check).toMatchObject({ target: { tcp: { host: '127.0.0.1', port: 3000 } }, interval: 1000, start_period: 5000 });
    const named = await loadEcosystem(fileWith({ health: { tcp: '10.0.0.5:8080' } }), { baseEnv });
    expect(named.apps[0]!.health_check!.target).toEqual({ tcp: { host: '10.0.0.5', port: 8080 } });
    const exec = await loadEcosystem(fileWith({ health: { exec: './check.sh --quick', timeout: 2000 } }), { baseEnv });
    expect(exec.apps[0]!.health_check).toMatchObject({ target: { exec: './check.sh --quick' }, timeout: 2000 });
  });

  it('warns that hang_timeout does nothing for an app without the Node preload', async () => {
    const { warnings } = await loadEcosystem(fileWith({ hang_timeout: '5s' }, worker), { baseEnv });
    expect(warnings.join('\n')).toMatch(/app 'api': `hang_timeout` watches the event loop of Node apps .*runs with .*bash.*, so it is never found hung/);
  });
});

const HANG = "a duration of at least 2s (such as '30s', or a number of ms), or 0 for none: the preload reports once a second";

describe('a wrong value', () => {
  it.each([
    [{ hang_timeout: 'soon' }, `\`hang_timeout\` must be ${HANG}, got 'soon' (string)`],
    [{ hang_timeout: 500 }, `\`hang_timeout\` must be ${HANG}, got 500 (number)`],
    [{ health: 'http://x' }, /`health` must be an object with one of http .+, got 'http:\/\/x' \(string\)$/],
    [{ health: {} }, /`health` must be an object with one of http .+ \(no probe given\), got \{\} \(object\)$/],
    [{ health: { http: 'http://a/', tcp: 1 } }, /`health` must be .+ \(only one of http, tcp\), got/],
    [{ health: { http: 'ftp://a/' } }, /`health` must be .+; its http must be an http:\/\/ or https:\/\/ URL such as 'http:\/\/127\.0\.0\.1:3000\/health', got/],
    [{ health: { tcp: 70000 } }, /; its tcp must be a port \(3000\) or 'host:port' \('127\.0\.0\.1:3000'\), got/],
    [{ health: { exec: '' } }, /; its exec must be a shell command .+, got/],
    [{ health: { tcp: 80, interval: 0 } }, /; its interval must be a duration above 0 \(such as '10s', or a number of ms\), got/],
    [{ health: { tcp: 80, timeout: 'x' } }, /; its timeout must be a duration above 0/],
    [{ health: { tcp: 80, failures: 0 } }, /; its failures must be a whole number of at least 1, got/],
    [{ health: { tcp: 80, start_period: -1 } }, /; its start_period must be a duration in ms/],
    [{ health: { tcp: 80, retries: 3 } }, /`health` must be .+ \(unknown: retries\), got/],
  ])('%j names the file, the app and the key', async (keys, message) => {
    const error = await errorFor(keys);
    expect(error.startsWith("ecosystem.config.js: app 'api': ")).toBe(true);
    if (typeof message === 'string') expect(error).toBe(`ecosystem.config.js: app 'api': ${message}`);
    else expect(error).toMatch(message);
  });

  it('is refused on the command line too, and nothing starts', async () => {
    const pmx = new PmxSandbox();
    try {
      const result = await pmx.run(['start', fileWith({ health: { tcp: 'nope' } })]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ecosystem\.config\.js: app 'api': `health` must be .+; its tcp must be a port/);
      expect(await pmx.jlist()).toEqual([]);
    } finally {
      await pmx.cleanup();
    }
  });
});

describe('the agent', () => {
  it('refuses a spec whose health check or hang_timeout is malformed, naming the app and the key', () => {
    expect(specProblem({ ...validSpec(), health_check: { target: { ping: 1 }, interval: 1, timeout: 1, failures: 1, start_period: 0 } }, 0)).toBe(
      "app 'api': health_check must be a health check (an object with one of http, tcp or exec)",
    );
    expect(specProblem({ ...validSpec(), health_check: { target: { http: 'file:///etc/passwd' }, interval: 1, timeout: 1, failures: 1, start_period: 0 } }, 0)).toBe(
      "app 'api': health_check must be a health check (an object whose http is an http:// or https:// URL)",
    );
    expect(specProblem({ ...validSpec(), hang_timeout: -1 }, 0)).toBe("app 'api': hang_timeout must be a number of at least 0");
    // dumps written before these keys existed have neither
    const old = validSpec();
    delete (old as Record<string, unknown>).hang_timeout;
    delete (old as Record<string, unknown>).health_check;
    expect(specProblem(old, 0)).toBeNull();
  });
});

function validSpec(): Record<string, unknown> {
  return {
    name: 'api', namespace: 'default', script: forever, args: [], cwd: '/tmp', interpreter: 'node', interpreter_args: [], env: {}, exec_mode: 'fork_mode', instances: 1,
    autorestart: true, max_restarts: 16, min_uptime: 1000, restart_delay: 0, exp_backoff_restart_delay: 0, max_memory_restart: 0, cron_restart: null, stop_exit_codes: [],
    kill_timeout: 1600, shutdown_with_message: false, wait_ready: false, listen_timeout: 3000, out_file: null, error_file: null, log_file: null, merge_logs: false,
    log_date_format: null, log_type: 'raw', time: false, instance_var: 'NODE_APP_INSTANCE', watch: false, ignore_watch: [], watch_delay: 1000, log_rotate: null, listen: [],
    version: null, pmx: true, hang_timeout: 0, health_check: null,
  };
}
