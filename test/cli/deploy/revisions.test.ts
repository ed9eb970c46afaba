// Reading a host's history: which releases can be served, what revert n and pruning pick.
import { describe, expect, it } from 'vitest';
import { formatRevision, parseRevisions, pruneList, readHistory, type Revision } from '../../../cli/deploy/revisions.js';
import { isReleaseName, releaseFromLink, releaseName, remotePaths } from '../../../cli/deploy/remote-paths.js';

const paths = remotePaths('/srv/app');
const names = ['20250101T000000000Z-aaaaaaa', '20250102T000000000Z-bbbbbbb', '20250103T000000000Z-ccccccc', '20250104T000000000Z-ddddddd'];

function revision(release: string, result: Revision['result'] = 'success', action: Revision['action'] = 'deploy'): string {
  return formatRevision({ time: '2025-01-01T00:00:00.000Z', action, release, ref: 'main', sha: release.slice(-7), user: 'me@laptop', result, from: null });
}

function state(current: string | null, dirs: string[], revisions: string[], extra = ''): string {
  return ['@current', current ?? '', '@current-revision', '@releases', ...dirs, '@revisions', ...revisions, '@pm2-deploys', '@pm2-source', extra].join('\n');
}

describe('release names and links', () => {
  it('name a release by UTC time with milliseconds and the short sha', () => {
    const name = releaseName(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 123)), 'abcdef0123456789');
    expect(name).toBe('20250102T030405123Z-abcdef0');
    expect(isReleaseName(name)).toBe(true);
    expect(isReleaseName('my-backup')).toBe(false);
  });

  it('read current as relative, absolute (PM2) or foreign links', () => {
    expect(releaseFromLink(paths, `releases/${names[0]}`)).toBe(names[0]);
    expect(releaseFromLink(paths, `/srv/app/releases/${names[0]}/`)).toBe(names[0]);
    expect(releaseFromLink(paths, '/srv/app/source')).toBe('source');
    expect(releaseFromLink(paths, '/elsewhere')).toBeNull();
  });
});

describe('host history', () => {
  it('lists successful releases oldest first and marks current; failed dirs are leftovers', () => {
    const history = readHistory(state(`releases/${names[1]}`, names.slice(0, 3), [revision(names[0]!), revision(names[1]!), revision(names[2]!, 'failed')]), paths);
    expect(history.releases.map((r) => [r.name, r.current])).toEqual([[names[0], false], [names[1], true]]);
    expect(history.leftovers).toEqual([names[2]]);
  });

  it('reads lines written by earlier versions: cancelled is aborted, a line without a release is an attempt', () => {
    const old = '{"time":"2024-05-01T10:00:00.000Z","action":"deploy","release":"20240501T100000000Z-aaaaaaa","ref":"main","sha":"aaaaaaa","user":"me@laptop","result":"cancelled","from":null}';
    const attempt = formatRevision({ time: '2024-05-02T10:00:00.000Z', action: 'deploy', release: null, ref: 'main', sha: null, user: 'me@laptop', result: 'aborted', from: null });
    expect(parseRevisions([old, attempt, 'not json', '{"half":'])).toHaveLength(2);
    const history = readHistory(state(null, [], [old, attempt]), paths);
    expect(history.ledger!.map((e) => [e.release, e.result])).toEqual([[null, 'aborted'], ['20240501T100000000Z-aaaaaaa', 'aborted']]);
  });

  it('the ledger lists every release newest first with how it ended; a mark or a failed health check makes it bad', () => {
    const revisions = [revision(names[0]!), revision(names[1]!, 'bad'), revision(names[2]!), revision(names[3]!, 'rolled-back'), formatRevision({ time: '2025-01-05T00:00:00.000Z', action: 'mark-bad', release: names[2]!, ref: null, sha: null, user: 'ops@desk', result: 'bad', from: null, message: 'marked bad by ops@desk' })];
    const history = readHistory(state(`releases/${names[2]}`, [names[0]!, names[2]!], revisions), paths);
    expect(history.ledger!.map((e) => [e.release, e.result, e.current, e.onDisk])).toEqual([
      [names[3], 'rolled back', false, false],
      [names[2], 'bad', true, true],
      [names[1], 'bad', false, false],
      [names[0], 'ok', false, true],
    ]);
    expect(history.releases.map((r) => [r.name, r.bad ?? false])).toEqual([[names[0], false], [names[2], true]]);
  });

  it("takes over a PM2 path: source is the oldest release and PM2's .deploys is kept", () => {
    const text = ['@current', '/srv/app/source', '@releases', '@revisions', '@pm2-deploys', 'abc1234', 'def5678', '@pm2-source', 'def5678aaaa'].join('\n');
    const history = readHistory(text, paths);
    expect(history.current).toBe('source');
    expect(history.releases).toEqual([{ name: 'source', sha: 'def5678aaaa', deployedAt: null, user: null, current: true }]);
    expect(history.pm2Deploys).toEqual(['abc1234', 'def5678']);
  });

  it('orders releases as the ledger recorded them: one deployed from a machine whose clock is behind is still the newest, in the list and for pruning', () => {
    // names[3] deployed first, then names[0] from a laptop two days behind (its name says an earlier time), then names[1], an unrecorded dir by its name
    const late = names[0]!;
    const revisions = [revision(names[2]!), revision(names[3]!), revision(late), revision(names[1]!, 'failed')];
    const history = readHistory(state(`releases/${late}`, names, revisions), paths);
    expect(history.releases.map((r) => r.name)).toEqual([names[2], names[3], late]);
    expect(history.ledger!.map((e) => [e.release, e.result, e.current])).toEqual([
      [names[1], 'failed', false],
      [late, 'ok', true],
      [names[3], 'ok', false],
      [names[2], 'ok', false],
    ]);
    // keep 2: the oldest deploy goes, not the newest one whose name is earliest
    expect(pruneList(history, 2, [late])).toEqual([names[2], names[1]]);
  });

  it('prunes the oldest successful releases beyond keep, never current or the new one, and leftovers', () => {
    const revisions = [...names.map((n) => revision(n)), revision('20250105T000000000Z-eeeeeee', 'failed')];
    const history = readHistory(state(`releases/${names[0]}`, [...names, '20250105T000000000Z-eeeeeee', 'backup-by-hand'], revisions), paths);
    expect(pruneList(history, 2, [names[3]!])).toEqual([names[1], '20250105T000000000Z-eeeeeee']);
  });
});

describe('the deploy barrier', () => {
  it('refuses to publish when hosts resolved the ref to different commits', async () => {
    const { oneCommit } = await import('../../../cli/deploy/phases/index.js');
    const ctx = (label: string, sha: string | null) => ({ target: { label }, sha, run: { ref: 'origin/main' } }) as unknown as import('../../../cli/deploy/context.js').HostContext;
    expect(oneCommit([ctx('h1', 'a'.repeat(40)), ctx('h2', 'a'.repeat(40)), ctx('h3', null)])).toBeNull();
    expect(oneCommit([ctx('h1', 'a'.repeat(40)), ctx('h2', 'b'.repeat(40))])).toBe('the hosts resolved origin/main to different commits (h1 aaaaaaa, h2 bbbbbbb); deploy again');
  });
});
