// Walking an app's tree from its root (the monitor's cheap path between full reads of /proc)
// finds what a full read finds, and keeps a known member that left the tree.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { canReadChildren, processTree, readProcessTable, readStat, readTree, sharedTable } from '../../../agent/os/process-tree.js';

const sandbox = new PmxSandbox('pmx-tree-');
const started: ChildProcess[] = [];
let grandchildren: number[] = [];
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  for (const pid of grandchildren) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await sandbox.cleanup();
});

describe.skipIf(!canReadChildren())('readTree', () => {
  it('finds the children and their rows as a full read of /proc does', async () => {
    const file = join(sandbox.dir, 'children');
    const root = spawn(process.execPath, [join(FIXTURES, 'apps/spawner.js')], { env: { ...process.env, CHILD_PIDS: file, DETACH: '0' }, stdio: 'ignore' });
    started.push(root);
    grandchildren = (await eventually('child pids', () => readFileSync(file, 'utf8'))).split(' ').map(Number);
    const walked = readTree(root.pid!, new Map());
    expect([...walked.keys()].sort()).toEqual(processTree(root.pid!, readProcessTable()).sort());
    expect([...walked.keys()]).toEqual(expect.arrayContaining([root.pid!, ...grandchildren]));
    for (const row of walked.values()) expect(row.rss).toBeGreaterThan(0);
  });

  it('keeps a member found earlier that is no longer below the root, unless its pid now names another process', () => {
    const stranger = readStat(process.pid)!;
    const tree = readTree(started[0]!.pid!, new Map([[process.pid, stranger]]));
    expect(tree.has(process.pid)).toBe(true);
    const reused = readTree(started[0]!.pid!, new Map([[process.pid, { ...stranger, startTicks: stranger.startTicks + 1 }]]));
    expect(reused.has(process.pid)).toBe(false);
  });
});

describe('sharedTable', () => {
  it('reads /proc once per turn of the loop, and again for a process that started after the read', async () => {
    const first = sharedTable();
    expect(sharedTable()).toBe(first);
    const child = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    started.push(child);
    // the same turn: a process as old as the read is not trusted to be in it
    const { startTicks } = readStat(child.pid!)!;
    const again = sharedTable(startTicks);
    expect(again).not.toBe(first);
    expect(again.table.get(child.pid!)?.startTicks).toBe(startTicks);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sharedTable()).not.toBe(again);
  });
});
