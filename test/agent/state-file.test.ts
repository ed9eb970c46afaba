// agent.state on a full disk: written over its spare's bytes and swapped in by rename, as often as
// the state changes, while the changes fit the room; the file is whole after each write, and a swap
// an agent's death cut short is finished by the next one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFile, paddedSize, readState } from '../../agent/state-file.js';
import type { Registry } from '../../agent/registry.js';
import type { SupervisedProcess } from '../../agent/process/supervised.js';
import { fillDisk, mountSmallDisk } from '../helpers/small-disk.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-state-file-'));
const path = join(dir, 'agent.state');
const filler = join(dir, 'filler');

beforeAll(() => mountSmallDisk(dir, '256k', '0700'));
afterAll(() => {
  spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
});

/** The little of a supervised process the state file reads: an idle, recorded app with `bytes` of env. */
function app(id: number, bytes: number, status = 'online'): SupervisedProcess {
  return {
    id,
    instance: 0,
    spec: { name: `app${id}`, script: 'app.js', env: { BULK: 'b'.repeat(bytes) } },
    lifecycle: { status },
    status,
    error: null,
    recorded: true,
    stateError: null,
    running: { current: null, others: [] },
    on: () => undefined,
    once: () => undefined,
  } as unknown as SupervisedProcess;
}

function registryOf(procs: SupervisedProcess[]): Registry {
  return { all: () => procs, added: new Set() } as unknown as Registry;
}

const names = (): string[] => readState(path)!.processes.map((entry) => entry.spec.name);

describe('the state file', () => {
  const procs = [app(0, 20_000), app(1, 100), app(2, 100)];
  const lines: string[] = [];
  const state = new StateFile(path, registryOf(procs), (line) => lines.push(line));

  it('is padded to leave room, with a spare of its size beside it', () => {
    state.schedule();
    expect(state.flush()).toBeNull();
    expect(names()).toEqual(['app0', 'app1', 'app2']);
    const size = statSync(path).size;
    expect(size).toBe(paddedSize(readFileSync(path, 'utf8').trimEnd().length + 1));
    expect(statSync(`${path}.spare`).size).toBeGreaterThanOrEqual(size);
  });

  it('on a full disk, every change that fits the room is written whole, one swap after another', () => {
    fillDisk(filler);
    for (let round = 0; round < 6; round++) {
      procs.pop();
      procs.push(app(2, 100 + round * 500));
      state.schedule();
      expect(state.flush()).toBeNull();
      expect(readState(path)!.processes.at(-1)!.spec.env!.BULK).toHaveLength(100 + round * 500);
      expect(existsSync(`${path}.spare`)).toBe(true);
    }
    expect(lines).toEqual([]);
  });

  it('a change that outgrows the room fails, naming the file, and leaves the file as it was', () => {
    const before = readFileSync(path, 'utf8');
    procs.push(app(3, 30_000));
    state.schedule();
    expect(state.flush()?.message).toBe(`the agent cannot record it in ${path} (ENOSPC)`);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(procs[1]!.stateError).toMatch(/^the agent cannot write .*agent\.state \(ENOSPC\) since /);
    // a stop that makes it fit again is written, and the warning goes
    procs.pop();
    state.schedule();
    expect(state.flush()).toBeNull();
    expect(procs[1]!.stateError).toBeNull();
    state.remove();
    rmSync(filler);
  });

  it('a swap cut short (the old file still under .previous) is finished by the next agent', () => {
    const fresh = new StateFile(path, registryOf([app(0, 10)]), () => undefined);
    fresh.schedule();
    expect(fresh.flush()).toBeNull();
    // the agent died between taking the spare's bytes and renaming: the spare is gone, the old file linked as .previous
    rmSync(`${path}.spare`);
    linkSync(path, `${path}.previous`);
    new StateFile(path, registryOf([]), () => undefined);
    expect(existsSync(`${path}.previous`)).toBe(false);
    expect(statSync(`${path}.spare`).size).toBeGreaterThanOrEqual(statSync(path).size);
    // or it died before: the spare is still there, and .previous is dropped
    linkSync(path, `${path}.previous`);
    new StateFile(path, registryOf([]), () => undefined);
    expect(existsSync(`${path}.previous`)).toBe(false);
    expect(existsSync(`${path}.spare`)).toBe(true);
    expect(readState(path)!.processes.map((entry) => entry.spec.name)).toEqual(['app0']);
  });
});
