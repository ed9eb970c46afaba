// Whether the saved dump would bring back what runs now: the `pmx save` reminder of `pmx startup`.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDump, type DumpEntry } from '../../../agent/dump.js';
import type { AppSpec } from '../../../agent/protocol/app-spec.js';
import type { ProcessDescription } from '../../../agent/protocol/types.js';
import { compareWithDump, longestKillTimeout } from '../../../cli/startup/saved-state.js';
import { processDescription } from '../../fixtures/process-description.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIVE_FIELDS = ['pm_id', 'status', 'restart_time', 'unstable_restarts', 'pm_uptime', 'created_at', 'exit_code', 'pm_out_log_path', 'pm_err_log_path', 'pm_log_path', 'pm_pid_path', 'pm_exec_path', 'pm_cwd', 'exec_interpreter', 'node_args', 'unique_id', 'NODE_APP_INSTANCE', 'username', 'pmx_error'];

/** What `pmx save` would write for these processes. */
function entries(procs: ProcessDescription[]): DumpEntry[] {
  return procs.map((proc) => {
    const spec = { ...proc.pm2_env } as Record<string, unknown>;
    for (const field of LIVE_FIELDS) delete spec[field];
    return { pm_id: proc.pm_id, instance: 0, status: proc.pm2_env.status, spec: spec as unknown as AppSpec };
  });
}

const api = processDescription({ name: 'api', pm_id: 0 });
const worker = processDescription({ name: 'worker', pm_id: 1, pm2_env: { kill_timeout: 9000 } });

describe('compareWithDump', () => {
  it('says missing when nothing was saved', () => {
    expect(compareWithDump(join(dir, 'none.pmx'), [api]).kind).toBe('missing');
  });

  it('says current when the dump holds the running list, even after restarts and crashes', () => {
    const file = join(dir, 'current.pmx');
    writeDump(file, entries([api, worker]), false);
    const later = [
      processDescription({ name: 'api', pm_id: 0, pm2_env: { restart_time: 7, pm_uptime: Date.now() } }),
      processDescription({ name: 'worker', pm_id: 1, pm2_env: { kill_timeout: 9000, status: 'errored' } }),
    ];
    expect(compareWithDump(file, later).kind).toBe('current');
  });

  it('names what was started, deleted, stopped or changed since the save', () => {
    const file = join(dir, 'stale.pmx');
    writeDump(file, entries([api, worker]), false);
    const now = [
      processDescription({ name: 'api', pm_id: 0, pm2_env: { env: { NODE_ENV: 'staging' } } }),
      processDescription({ name: 'cron', pm_id: 2 }),
    ];
    expect(compareWithDump(file, now)).toMatchObject({ kind: 'stale', unsaved: ['cron (id 2)'], gone: ['worker (id 1)'], changed: ['api (id 0)'] });
    const stopped = [processDescription({ name: 'api', pm_id: 0, pm2_env: { status: 'stopped' } }), worker];
    expect(compareWithDump(file, stopped)).toMatchObject({ kind: 'stale', changed: ['api (id 0)'] });
  });

  it('reads the .bak copy when a crash tore the dump, as resurrect does', () => {
    const file = join(dir, 'torn.pmx');
    writeDump(file, entries([api]), false);
    writeDump(file, entries([api]), false);
    writeFileSync(file, '{"pmx_dump":1,"processes":[{"pm_');
    expect(compareWithDump(file, [api]).kind).toBe('current');
  });

  it('cannot compare without an agent', () => {
    const file = join(dir, 'current.pmx');
    expect(compareWithDump(file, null).kind).toBe('unknown');
  });
});

describe('longestKillTimeout', () => {
  it('is the longest kill_timeout among the saved and the running processes', () => {
    const file = join(dir, 'kill.pmx');
    writeDump(file, entries([api, worker]), false);
    expect(longestKillTimeout(file, [processDescription({ pm2_env: { kill_timeout: 3000 } })])).toBe(9000);
    expect(longestKillTimeout(join(dir, 'none.pmx'), null)).toBe(0);
  });
});

describe('writeDump', () => {
  it("a dump path it cannot rename onto (a directory) fails naming it and leaves no temp file behind (it held every app's environment)", () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const file = join(home, 'dump.pmx');
    mkdirSync(file);
    expect(() => writeDump(file, entries([api]), false)).toThrow(/cannot save to .*dump\.pmx \(EISDIR.*\): the saved list is as it was/);
    expect(readdirSync(home)).toEqual(['dump.pmx']);
  });
});
