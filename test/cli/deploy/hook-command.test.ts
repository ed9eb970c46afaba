// Hook and health-check command builders, run by a real sh: exit status, streamed output, the log.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASH_OR_SH, healthCommand, healthUrlCommand, hookCommand, scriptCommand } from '../../../cli/deploy/hook-command.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-hook-command-'));
let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/ok' ? 200 : 503;
    res.end(req.url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function sh(command: string, input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { input, encoding: 'utf8', timeout: 10_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('hook commands', () => {
  const cwd = join(dir, 'release one');
  mkdirSync(cwd, { recursive: true });
  const log = join(dir, 'logs', 'r1.log');
  const run = (command: string, env: Record<string, string> = {}) => sh(hookCommand({ cwd, command, env, log, header: '== pre-deploy' }));

  it('run in the release with the environment exported, output merged and appended to the log', () => {
    const result = run('pwd; echo "release=$RELEASE"; echo oops >&2', { RELEASE: cwd, SHARED: '/srv/x y' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${cwd}\nrelease=${cwd}\noops\n`);
    expect(readFileSync(log, 'utf8')).toContain(`== pre-deploy\n${cwd}\nrelease=${cwd}\noops\n`);
  });

  it("exit with the hook's own status, not tee's", () => {
    expect(run('echo failing; exit 7').code).toBe(7);
    expect(run('false').code).toBe(1);
    expect(readFileSync(log, 'utf8')).toContain('failing\n');
  });

  it('accept a hook ending in a comment, and several lines', () => {
    expect(run('echo a # trailing comment').stdout).toBe('a\n');
    expect(run('echo a\necho b').stdout).toBe('a\nb\n');
  });

  it('do not wait for a background process the hook leaves behind once it closes its output', () => {
    const started = Date.now();
    expect(run('sleep 5 >/dev/null 2>&1 </dev/null & echo started').stdout).toBe('started\n');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("keep pmx's own PATH around the hook when its environment sets PATH: the hook gets that PATH after the pmx launcher, the log is written", () => {
    const result = run('echo "path=$PATH"; echo after', { PATH: '/nonexistent' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`path=${process.env.HOME}/.pmx/bin:/nonexistent\nafter\n`);
    expect(readFileSync(log, 'utf8')).toContain(`path=${process.env.HOME}/.pmx/bin:/nonexistent\nafter\n`);
  });

  it('stop before running when the directory is missing', () => {
    const result = sh(hookCommand({ cwd: join(dir, 'nope'), command: 'echo ran', env: { A: '1' }, log, header: 'x' }));
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('ran');
  });

  it('run a local script through the interpreter its shebang names, reading stdin', () => {
    expect(scriptCommand('#!/bin/bash\necho hi')).toBe('bash -s');
    expect(scriptCommand('#!/usr/bin/env bash\necho hi')).toBe('bash -s');
    expect(scriptCommand('#!/bin/sh\necho hi')).toBe('sh -s');
    expect(scriptCommand('echo hi')).toBe(BASH_OR_SH);
    expect(sh(hookCommand({ cwd, command: scriptCommand('echo from script'), env: {}, log, header: 'x' }), 'echo "from script in $(pwd)"\n').stdout).toBe(`from script in ${cwd}\n`);
  });
});

// the HTTP server lives in this process: the shell must not block its event loop
function shAsync(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('health checks', () => {
  it('a URL passes on a 2xx answer and fails on 5xx or no answer, saying why', async () => {
    expect((await shAsync(healthUrlCommand(`http://127.0.0.1:${port}/ok`, 2000))).code).toBe(0);
    const bad = await shAsync(healthUrlCommand(`http://127.0.0.1:${port}/bad`, 2000));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('HTTP 503');
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const closedPort = (gone.address() as { port: number }).port;
    await new Promise((resolve) => gone.close(resolve));
    const closed = await shAsync(healthUrlCommand(`http://127.0.0.1:${closedPort}/`, 2000));
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('ECONNREFUSED');
  });

  it('a command runs in its directory with the environment', () => {
    expect(sh(healthCommand(dir, 'test "$X" = "a b" && test "$(pwd)" = "$EXPECTED"', { X: 'a b', EXPECTED: dir })).code).toBe(0);
    expect(sh(healthCommand(dir, 'exit 2', {})).code).toBe(2);
  });
});
