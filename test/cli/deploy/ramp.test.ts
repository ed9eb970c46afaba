// The canary ramp's arithmetic: the batches `rolling` makes of the selected hosts, the failures
// `max_fail` allows, and `--rolling` read as the file's key is.
import { describe, expect, it } from 'vitest';
import { allowedFailures, batchSizes, parseRollingFlag, readRolling, splitBatches, type Rolling, type Share } from '../../../cli/deploy/ramp.js';

const fail = (key: string, expected: string, value: unknown): never => {
  throw new Error(`${key}: expected ${expected}, got ${JSON.stringify(value)}`);
};
const rolling = (written: unknown): Rolling | null => readRolling(written, fail);

describe('batchSizes: the batches of a ramp, in publishing order', () => {
  const cases: [unknown, number, number[]][] = [
    // no ramp: one batch of every host
    [undefined, 4, [4]],
    [0, 4, [4]],
    // a number: batches of that size, the last one smaller
    [1, 3, [1, 1, 1]],
    [2, 5, [2, 2, 1]],
    [10, 4, [4]],
    // a percentage: of the selected hosts, rounded up, at least one host
    ['25%', 4, [1, 1, 1, 1]],
    ['25%', 10, [3, 3, 3, 1]],
    ['10%', 3, [1, 1, 1]],
    ['100%', 7, [7]],
    ['33.4%', 3, [2, 1]],
    // steps: cumulative hosts live after each step
    [[1, '50%', '100%'], 4, [1, 1, 2]],
    [[1, '25%', '100%'], 20, [1, 4, 15]],
    [[1, '25%', '100%'], 2, [1, 1]],
    [[2, 5], 5, [2, 3]],
    // a step that would add no host adds one
    [[1, '10%', '50%'], 4, [1, 1, 1, 1]],
    [['50%', 1, 3], 4, [2, 1, 1]],
    // below 100 %: the rest in batches of the last step's size
    [[1, 3], 10, [1, 2, 2, 2, 2, 1]],
    [[1], 3, [1, 1, 1]],
    [['25%'], 8, [2, 2, 2, 2]],
    [[1, '50%'], 10, [1, 4, 4, 1]],
    // steps beyond the selected hosts stop where every host is live
    [[1, 5, 9], 3, [1, 2]],
    [[1, '50%', '100%'], 1, [1]],
    // no host selected: no batch
    [[1, '100%'], 0, []],
  ];
  it.each(cases)('rolling %j on %i hosts makes batches %j', (written, total, expected) => {
    const sizes = batchSizes(rolling(written), total);
    expect(sizes).toEqual(expected);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(total);
    expect(sizes.every((size) => size >= 1)).toBe(true);
  });

  it('splits the hosts in order', () => {
    expect(splitBatches(['h1', 'h2', 'h3', 'h4'], batchSizes(rolling([1, '50%', '100%']), 4))).toEqual([['h1'], ['h2'], ['h3', 'h4']]);
  });
});

describe('allowedFailures: what max_fail lets fail', () => {
  const cases: [Share, number, number][] = [
    [{ hosts: 0 }, 10, 0],
    [{ hosts: 2 }, 10, 2],
    [{ percent: 10 }, 10, 1],
    [{ percent: 10 }, 9, 0],
    [{ percent: 25 }, 4, 1],
    [{ percent: 50 }, 5, 2],
    [{ percent: 100 }, 3, 3],
    [{ percent: 0 }, 3, 0],
  ];
  it.each(cases)('max_fail %j of %i hosts allows %i (a percentage rounds down)', (maxFail, total, allowed) => {
    expect(allowedFailures(maxFail, total)).toBe(allowed);
  });
});

describe('--rolling on the command line', () => {
  it('reads a number, a percentage or comma-separated steps as the file would', () => {
    expect(parseRollingFlag('2', fail)).toEqual({ every: { hosts: 2 } });
    expect(parseRollingFlag('0', fail)).toBeNull();
    expect(parseRollingFlag('25%', fail)).toEqual({ every: { percent: 25 } });
    expect(parseRollingFlag('1,25%,100%', fail)).toEqual({ steps: [{ hosts: 1 }, { percent: 25 }, { percent: 100 }] });
    expect(() => parseRollingFlag('2,1', fail)).toThrow(/rolling\[1\]: expected a cumulative step beyond the one before \(2\)/);
    expect(() => parseRollingFlag('lots', fail)).toThrow(/got "lots"/);
  });
});
