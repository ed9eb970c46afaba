// What deploy output says of a host: the summary's release column (a query command that could not
// reach a host says `?` there, never `none`, which a script reads as "nothing deployed"), and a failed command's cause.
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../cli/deploy/output/summary.js';
import type { HostOutcome } from '../../../cli/deploy/events.js';
import { styleFor } from '../../../cli/output/style.js';

const outcome = (host: string, changes: Partial<HostOutcome>): HostOutcome => ({
  host, address: `deploy@${host}:22`, status: 'done', phase: null, message: null, release: null, sha: null, readBack: false, target: null, previous: null, recorded: true, durationMs: 10, notes: [], ...changes,
});

describe('the summary of a query command', () => {
  it('shows the release a host answered, none where nothing is deployed, and ? where the host was not reached', () => {
    const lines = renderSummary({
      command: 'curr',
      environment: 'production',
      outcomes: [
        outcome('a', { release: '20261207T000000Z-abc1234' }),
        outcome('b', {}),
        outcome('c', { status: 'failed', phase: 'check', message: 'connect ETIMEDOUT' }),
      ],
    }, styleFor(false));
    const release = (host: string): string => lines.find((line) => line.trimStart().startsWith(`${host} `))!.trim().split(/\s+/)[2]!;
    expect([release('a'), release('b'), release('c')]).toEqual(['20261207T000000Z-abc1234', 'none', '?']);
  });
});

describe('the fleet line of a deploy', () => {
  it('names a host that serves the new release but failed (auto_rollback off): the reason is never empty', () => {
    const target = '20261207T000000Z-new1234';
    const lines = renderSummary({
      command: 'deploy',
      environment: 'production',
      outcomes: [
        outcome('a', { status: 'deployed', release: target, target, readBack: true }),
        outcome('b', { status: 'failed', phase: 'post-deploy', message: 'the post-deploy hook failed (exit 5); auto_rollback is off', release: target, target, readBack: true }),
      ],
    }, styleFor(false));
    const fleet = lines.find((line) => line.includes('not every host serves'))!;
    expect(fleet.trim()).toBe(`not every host serves ${target} as recorded: b serves it but failed (its row says why)`);
  });
});

describe('the error of a failed host command', () => {
  it("names the system cause the command printed (a full disk), not tar's closing line", async () => {
    const { failureOf } = await import('../../../cli/deploy/remote.js');
    const stderr = 'tar: app/big.bin: Cannot write: No space left on device\ntar: app/other: Cannot write: No space left on device\ntar: Exiting with failure status due to previous errors\n';
    const error = failureOf('h1', 'unpacking the release', { code: 2, signal: null, stdout: '', stderr });
    expect(error.message).toBe('unpacking the release failed (exit 2): tar: app/other: Cannot write: No space left on device');
    const plain = failureOf('h1', 'the pre-deploy hook', { code: 3, signal: null, stdout: '', stderr: 'build broke\n' });
    expect(plain.message).toBe('the pre-deploy hook failed (exit 3): build broke');
  });
});

describe('the note of pruning', () => {
  it('counts old releases and the unfinished ones an interrupted run left apart', async () => {
    const { pruneNote } = await import('../../../cli/deploy/phases/finish.js');
    expect(pruneNote(['r1', 'r2'], [], 5)).toBe('removed 2 old releases (keep_releases: 5)');
    expect(pruneNote(['half'], ['half'], 5)).toBe('removed 1 unfinished release an interrupted run left');
    expect(pruneNote(['r1', 'half'], ['half'], 3)).toBe('removed 1 old release (keep_releases: 3) and 1 unfinished release an interrupted run left');
  });
});
