// The verdict of `healthcheck: { app }` on a host's `pmx jlist`: every instance online and passed
// its own probe; waiting goes on while one starts; an app missing, errored or without a probe
// cannot pass. The command that asks for the list quotes the release path.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appHealth } from '../../../cli/deploy/phases/health-check.js';
import { agentListCommand } from '../../../cli/deploy/hook-command.js';

const probe = { target: { http: 'http://127.0.0.1:3000/health' }, interval: 1000, timeout: 500, failures: 3, start_period: 0 };
const proc = (id: number, status: string, health?: { status: string; last_error: string | null }, probed = true) => ({
  name: 'api',
  pm_id: id,
  pm2_env: { status, ...(probed ? { health_check: probe } : {}), ...(health ? { health: { ...health, failures: 0, last_check: 1 } } : {}) },
});
const list = (...procs: object[]): string => JSON.stringify([{ name: 'worker', pm_id: 9, pm2_env: { status: 'online' } }, ...procs]);

describe("the app's own probe as a deploy health check", () => {
  it('is healthy when every instance is online and passed its last probe', () => {
    expect(appHealth(list(proc(0, 'online', { status: 'healthy', last_error: null }), proc(1, 'online', { status: 'healthy', last_error: null })), 'api')).toEqual({ healthy: true, last: '2 instances of api online and healthy' });
  });

  it('waits while an instance starts, restarts or fails its probe, and says which', () => {
    expect(appHealth(list(proc(0, 'online', { status: 'healthy', last_error: null }), proc(1, 'online', { status: 'starting', last_error: 'HTTP 503 from http://127.0.0.1:3000/health' })), 'api')).toEqual({ healthy: false, last: 'api (id 1) online, starting, last probe: HTTP 503 from http://127.0.0.1:3000/health' });
    expect(appHealth(list(proc(0, 'launching')), 'api')).toEqual({ healthy: false, last: 'api (id 0) launching' });
    expect(appHealth(list(proc(0, 'online', { status: 'healthy', last_error: 'connect ECONNREFUSED' })), 'api')).toMatchObject({ healthy: false });
    expect(appHealth('pmx: agent starting', 'api')).toEqual({ healthy: false, last: 'pmx jlist did not answer JSON: pmx: agent starting' });
  });

  it('cannot pass for an app that is missing, errored or has no probe', () => {
    expect(appHealth(list(), 'api')).toEqual({ hopeless: 'missing', last: "no app 'api' in the host's pmx (it runs worker)" });
    expect(appHealth(list(proc(0, 'online', { status: 'healthy', last_error: null }), proc(1, 'errored')), 'api')).toEqual({ hopeless: 'errored', last: 'api (id 1) errored' });
    expect(appHealth(list(proc(0, 'online', undefined, false)), 'api')).toEqual({ hopeless: 'no probe', last: "'api' has no health probe" });
  });

  it('asks the pmx on PATH in the release, whatever the path holds', () => {
    const dir = mkdtempSync(join(tmpdir(), "pmx-list-'$(x)"));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'pmx'), '#!/bin/sh\necho "$1 in $(pwd)"\n');
    chmodSync(join(bin, 'pmx'), 0o755);
    const result = spawnSync('/bin/sh', ['-c', agentListCommand(dir)], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stdout).toBe(`jlist in ${dir}\n`);
  });
});
