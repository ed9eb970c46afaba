// One release for the whole fleet: revert n counts releases that succeeded on every host and are
// still on every host, never a failed or bad one; --to must name one every host has; refusals
// name each host's state.
import { describe, expect, it } from 'vitest';
import { markTarget, revertTarget, type HostReleases } from '../../../cli/deploy/fleet-target.js';
import { formatRevision, readHistory, type Revision } from '../../../cli/deploy/revisions.js';
import { remotePaths } from '../../../cli/deploy/remote-paths.js';

const paths = remotePaths('/srv/app');
const [A, B, C] = ['20250101T000000000Z-aaaaaaa', '20250102T000000000Z-bbbbbbb', '20250103T000000000Z-ccccccc'];

function host(name: string, current: string, dirs: string[], results: [string, Revision['result']][], marks: string[] = []): HostReleases {
  const lines = results.map(([release, result]) => formatRevision({ time: '2025-01-01T00:00:00.000Z', action: 'deploy', release, ref: 'main', sha: `${release.slice(-7)}${'0'.repeat(33)}`, user: 'me@laptop', result, from: null }));
  for (const release of marks) lines.push(formatRevision({ time: '2025-01-04T00:00:00.000Z', action: 'mark-bad', release, ref: null, sha: null, user: 'ops', result: 'bad', from: null }));
  const text = ['@current', `releases/${current}`, '@current-revision', '@releases', ...dirs, '@revisions', ...lines, '@pm2-deploys', '@pm2-source'].join('\n');
  return { host: name, history: readHistory(text, paths) };
}

describe('revert [n] for the fleet', () => {
  // A ok everywhere; B's post-deploy failed on h2 (h2 rolled back, B removed there); C ok everywhere
  const split = [
    host('h1', C, [A, B, C], [[A, 'success'], [B, 'success'], [C, 'success']]),
    host('h2', C, [A, C], [[A, 'success'], [B, 'rolled-back'], [C, 'success']]),
    host('h3', C, [A, B, C], [[A, 'success'], [B, 'success'], [C, 'success']]),
  ];

  it('skips a release that failed on one host: revert 1 from C goes to A on every host, and says what it passed over and why', () => {
    expect(revertTarget(split, 1, null)).toEqual({ release: A, sha: `aaaaaaa${'0'.repeat(33)}`, skipped: [`${B} (not on h2)`] });
  });

  it('refuses to go further back than the fleet has, naming each host state', () => {
    const refused = revertTarget(split, 2, null);
    expect(refused).toEqual({ problem: expect.stringContaining(`cannot go back 2: the fleet is on ${C} and has only 1 release before it`) });
    expect((refused as { problem: string }).problem).toContain(`h2 on ${C} (also has ${A})`);
  });

  it('counts back in the order the ledgers recorded: a release deployed last from a machine whose clock is behind is the newest', () => {
    // A, then C, then B from a laptop whose clock is a day behind C's deployer (B's name is earlier than C's)
    const skewed = ['h1', 'h2'].map((name) => host(name, B, [A, B, C], [[A, 'success'], [C, 'success'], [B, 'success']]));
    expect(revertTarget(skewed, 1, null)).toMatchObject({ release: C, skipped: [] });
    expect(revertTarget(skewed, 2, null)).toMatchObject({ release: A });
  });

  it('never picks a release marked bad on any host', () => {
    const marked = [split[0]!, host('h2', C, [A, B, C], [[A, 'success'], [B, 'success'], [C, 'success']], [A]), split[2]!];
    expect(revertTarget(marked, 1, null)).toMatchObject({ release: B });
    expect(revertTarget(marked, 2, null)).toEqual({ problem: expect.stringContaining(`cannot go back 2: the fleet is on ${C} and has only 1 release before it`) });
    expect((revertTarget(marked, 2, null) as { problem: string }).problem).toContain(`${A} (bad)`);
  });

  it('goes back from the newest current release when the fleet is split', () => {
    const rolled = [host('h1', B, [A, B], [[A, 'success'], [B, 'success']]), host('h2', A, [A], [[A, 'success'], [B, 'aborted']])];
    expect(revertTarget(rolled, 1, null)).toMatchObject({ release: A });
  });

  it('--to takes a release name or a sha prefix that every host has, and refuses one a host lacks', () => {
    expect(revertTarget(split, 1, A)).toMatchObject({ release: A });
    expect(revertTarget(split, 1, 'aaaaaaa0')).toMatchObject({ release: A });
    expect(revertTarget(split, 1, B)).toEqual({ problem: expect.stringContaining(`${B} (matching '${B}') is not a successful, unmarked release on every host: h1 on ${C}`) });
    expect(revertTarget(split, 1, 'fffffff')).toEqual({ problem: expect.stringContaining("no release matches 'fffffff' on any host") });
  });
});

describe('mark-bad', () => {
  it('marks the release every host is on, or the one named; refuses when hosts disagree and none is named', () => {
    const hosts = [host('h1', C, [A, C], [[A, 'success'], [C, 'success']]), host('h2', C, [A, C], [[A, 'success'], [C, 'success']])];
    expect(markTarget(hosts, null)).toMatchObject({ release: C });
    expect(markTarget(hosts, 'aaaaaaa')).toMatchObject({ release: A });
    const split = [hosts[0]!, host('h2', A, [A, C], [[A, 'success'], [C, 'success']])];
    expect(markTarget(split, null)).toEqual({ problem: expect.stringContaining('the hosts are not on one release: name the release to mark bad: h1 on') });
  });
});
