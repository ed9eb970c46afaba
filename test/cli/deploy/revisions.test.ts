// Reading a host's history: which releases can be served, what revert n and pruning pick.
import { describe, expect, it } from 'vitest';
import { formatRevision, pruneList, readHistory, revertTarget, type Revision } from '../../../cli/deploy/revisions.js';
import { isReleaseName, releaseFromLink, releaseName, remotePaths } from '../../../cli/deploy/remote-paths.js';

const paths = remotePaths('/srv/app');
const names = ['20250101T000000000Z-aaaaaaa', '20250102T000000000Z-bbbbbbb', '20250103T000000000Z-ccccccc', '20250104T000000000Z-ddddddd'];

function revision(release: string, result: Revision['result'] = 'success', action: Revision['action'] = 'deploy'): string {
  return formatRevision({ time: '2025-01-01T00:00:00.000Z', action, release, ref: 'main', sha: release.slice(-7), user: 'me@laptop', result, from: null });
}

function state(current: string | null, dirs: string[], revisions: string[], extra = ''): string {
  return ['@current', current ?? '', '@releases', ...dirs, '@revisions', ...revisions, '@pm2-deploys', '@pm2-source', extra].join('\n');
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

  it('revert n goes n successful releases back from current, and says why when it cannot', () => {
    const history = readHistory(state(`releases/${names[3]}`, names, names.map((n) => revision(n))), paths);
    expect(revertTarget(history, 1)).toEqual({ release: expect.objectContaining({ name: names[2] }) });
    expect(revertTarget(history, 3)).toEqual({ release: expect.objectContaining({ name: names[0] }) });
    expect(revertTarget(history, 4)).toEqual({ problem: `cannot go back 4: there are only 3 releases before the current one (${names[3]})` });
    const none = readHistory(state(null, [], []), paths);
    expect(revertTarget(none, 1)).toEqual({ problem: 'nothing is deployed here (no current release)' });
  });

  it('a revert is not a deploy: after revert 1, revert 1 goes one further back', () => {
    const revisions = [...names.slice(0, 3).map((n) => revision(n)), revision(names[1]!, 'success', 'revert')];
    const history = readHistory(state(`releases/${names[1]}`, names.slice(0, 3), revisions), paths);
    expect(revertTarget(history, 1)).toEqual({ release: expect.objectContaining({ name: names[0] }) });
  });

  it("takes over a PM2 path: source is the oldest release and PM2's .deploys is kept", () => {
    const text = ['@current', '/srv/app/source', '@releases', '@revisions', '@pm2-deploys', 'abc1234', 'def5678', '@pm2-source', 'def5678aaaa'].join('\n');
    const history = readHistory(text, paths);
    expect(history.current).toBe('source');
    expect(history.releases).toEqual([{ name: 'source', sha: 'def5678aaaa', deployedAt: null, user: null, current: true }]);
    expect(history.pm2Deploys).toEqual(['abc1234', 'def5678']);
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
