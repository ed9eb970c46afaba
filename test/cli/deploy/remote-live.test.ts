// The live command's shell text (cli/deploy/remote-live.ts), run by a real sh in a deploy path whose
// name needs quoting: the switch, then nothing until the go on stdin; with the go, the hook, the
// ledger line and the read back; without it (stdin closed), no hook.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostContext } from '../../../cli/deploy/context.js';
import { remotePaths } from '../../../cli/deploy/remote-paths.js';
import { liveCommand } from '../../../cli/deploy/remote-live.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A host context with only what the live command reads, for a deploy path under `dir`. */
function contextAt(base: string, release: string): HostContext {
  const paths = remotePaths(base);
  for (const name of ['r0', release]) mkdirSync(join(paths.releases, name), { recursive: true });
  mkdirSync(paths.meta, { recursive: true });
  const environment = { file: join(dir, 'ecosystem.config.js'), postDeploy: 'echo "hook in $(basename "$(pwd -P)")"', env: {}, secrets: [] };
  return { run: { paths, environment, user: 'me@here' }, release, previous: 'r0' } as unknown as HostContext;
}

function sh(command: string, input: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { input, encoding: 'utf8', timeout: 10_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('the live command', () => {
  it('switches current, then on the go runs the hook in it, appends the ledger line and reads the host back', () => {
    const ctx = contextAt(join(dir, "app one's"), 'r1');
    const { command, script } = liveCommand(ctx, 'M', true);
    expect(script).toBeNull();
    const result = sh(command, 'go\n{"result":"success"}\n');
    expect([result.code, result.stderr]).toEqual([0, '']);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['M=switched', 'hook in r1', 'M=posted', 'M=recorded', 'M=state']);
    expect(lines).toContain('releases/r1');
    expect(readlinkSync(ctx.run.paths.current)).toBe('releases/r1');
    expect(readFileSync(ctx.run.paths.revisions, 'utf8')).toBe('{"result":"success"}\n');
  });

  it('without the go (stdin closed) it stops after the switch: no hook, no ledger line', () => {
    const ctx = contextAt(join(dir, 'app two'), 'r2');
    const result = sh(liveCommand(ctx, 'M', true).command, '');
    expect([result.code, result.stdout]).toEqual([0, 'M=switched\n']);
    expect(existsSync(ctx.run.paths.revisions)).toBe(false);
  });

  it("a failed switch exits with its status before saying it switched; a failed hook exits with the hook's", () => {
    const missing = contextAt(join(dir, 'app three'), 'r3');
    rmSync(join(missing.run.paths.releases, 'r3'), { recursive: true });
    const refused = sh(liveCommand(missing, 'M', true).command, 'go\nline\n');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    const failing = contextAt(join(dir, 'app four'), 'r4');
    const hook = { ...failing, run: { ...failing.run, environment: { ...failing.run.environment, postDeploy: 'echo broke; exit 7' } } } as HostContext;
    const failed = sh(liveCommand(hook, 'M', true).command, 'go\nline\n');
    expect([failed.code, failed.stdout]).toEqual([7, 'M=switched\nbroke\n']);
    expect(existsSync(failing.run.paths.revisions)).toBe(false);
  });
});
