// The --plan view: a rehearsal's events grouped per host into phases and their commands, printed
// as text or JSON, and its exit rule (every host planned).
import { describe, expect, it } from 'vitest';
import type { DeployEvent, HostOutcome } from '../../../cli/deploy/events.js';
import { planCollector, planned, planView } from '../../../cli/deploy/output/plan-view.js';
import { styleFor } from '../../../cli/output/style.js';

const outcome = (host: string, status: HostOutcome['status'], extra: Partial<HostOutcome> = {}): HostOutcome => ({
  host, address: `deploy@${host}:22`, status, phase: null, message: null, release: 'r1', sha: null, readBack: true, target: 'r2', previous: 'r1', recorded: true, durationMs: 5, notes: [], ...extra,
});

const events: DeployEvent[] = [
  { kind: 'phase-start', host: null, phase: 'pre-deploy-local' },
  { kind: 'planned', host: null, phase: 'pre-deploy-local', command: 'npm run build' },
  { kind: 'phase-start', host: 'a', phase: 'check' },
  { kind: 'phase-start', host: 'b', phase: 'check' },
  { kind: 'phase-failed', host: 'b', phase: 'check', message: 'b: /srv/app is not set up' },
  { kind: 'phase-start', host: 'a', phase: 'lock' },
  { kind: 'planned', host: 'a', phase: 'lock', command: 'flock ...' },
  { kind: 'output', host: 'a', phase: 'lock', line: 'ignored' },
  { kind: 'phase-start', host: 'a', phase: 'publish' },
  { kind: 'planned', host: 'a', phase: 'publish', command: 'ln -s ...' },
  { kind: 'planned', host: 'a', phase: 'publish', command: 'mv ...' },
];

describe('the plan of a rehearsal', () => {
  it('groups planned commands under their host and phase, in the order they came', () => {
    const collector = planCollector();
    for (const event of events) collector.emit(event);
    expect(collector.plans()).toEqual([
      { host: null, phases: [{ phase: 'pre-deploy-local', commands: ['npm run build'], failed: null }] },
      { host: 'a', phases: [{ phase: 'check', commands: [], failed: null }, { phase: 'lock', commands: ['flock ...'], failed: null }, { phase: 'publish', commands: ['ln -s ...', 'mv ...'], failed: null }] },
      { host: 'b', phases: [{ phase: 'check', commands: [], failed: 'b: /srv/app is not set up' }] },
    ]);
  });

  it('prints per host the phases and commands, and says which host cannot run', async () => {
    let text = '';
    const view = planView({ write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, styleFor(false), false);
    for (const event of events) view.emit(event);
    await view.finish({ command: 'deploy', environment: 'production', outcomes: [outcome('a', 'deployed'), outcome('b', 'failed', { message: 'b: /srv/app is not set up', target: null })], interrupted: null });
    expect(text).toBe(
      [
        'plan of pmx deploy production deploy: 2 hosts; nothing was changed (read-only checks ran)',
        'local',
        '  pre-deploy-local',
        '    $ npm run build',
        'a (deploy@a:22): r1 -> r2',
        '  check (changes nothing)',
        '  lock',
        '    $ flock ...',
        '  publish',
        '    $ ln -s ...',
        '    $ mv ...',
        'b (deploy@b:22) cannot run: b: /srv/app is not set up',
        '  check failed: b: /srv/app is not set up',
        '',
      ].join('\n'),
    );
  });

  it('prints the batches of a ramp before the hosts, each with its hold', async () => {
    let text = '';
    const view = planView({ write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, styleFor(false), false);
    const ramp: DeployEvent[] = [
      { kind: 'batch-start', batch: 1, of: 2, hosts: ['a'] },
      { kind: 'batch-hold', batch: 1, of: 2, hosts: ['a'], holdMs: 30_000, checked: true },
      { kind: 'batch-start', batch: 2, of: 2, hosts: ['b', 'c'] },
    ];
    for (const event of ramp) view.emit(event);
    const report = { rolling: "steps 1, 100%", batches: [['a'], ['b', 'c']], holdMs: 30_000, maxFail: '10%', allowed: 0, published: 2, failed: [], stopped: null };
    await view.finish({ command: 'deploy', environment: 'production', outcomes: [outcome('a', 'deployed'), outcome('b', 'deployed'), outcome('c', 'deployed')], interrupted: null, ramp: report });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'plan of pmx deploy production deploy: 3 hosts; nothing was changed (read-only checks ran)',
      'ramp (steps 1, 100%, max_fail 10%: 0 hosts may fail): 2 batches, each publishing after the one before passed',
      '  batch 1/2: a, then held 30.0 s',
      '  batch 2/2: b, c',
    ]);
  });

  it('succeeds only when every host could be planned', () => {
    expect(planned([outcome('a', 'deployed'), outcome('b', 'reverted')])).toBe(true);
    expect(planned([outcome('a', 'deployed'), outcome('b', 'failed')])).toBe(false);
  });
});
