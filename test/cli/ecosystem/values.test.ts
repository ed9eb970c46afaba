// The value kinds of ecosystem keys: sizes, durations, instance counts, argument strings, and
// where a JSON file stops being JSON.
import { describe, expect, it } from 'vitest';
import { parseDuration, parseInstances, parseSize, splitWords } from '../../../cli/ecosystem/values.js';
import { jsonFault, lineColumn } from '../../../cli/ecosystem/parse-json.js';

describe('instances', () => {
  it('counts as PM2 does: max and 0 are all cores, -n all but n, never fewer than 1', () => {
    const on8 = (value: unknown) => parseInstances(value, 8);
    expect([on8('max'), on8(0), on8('0'), on8(-1), on8('-3'), on8(-8), on8(-20), on8(4), on8('4')].map((parsed) => parsed.ok && parsed.value)).toEqual([8, 8, 8, 7, 5, 1, 1, 4, 4]);
    expect(on8(2.5)).toEqual({ ok: false, expected: "a number, 'max' or -n" });
  });
});

describe('sizes and durations', () => {
  it('reads PM2’s memory sizes', () => {
    expect(['512K', '100M', '1G', '1.5G', '2048', 'lots'].map((text) => parseSize(text)).map((parsed) => parsed.ok && parsed.value)).toEqual([
      512 * 1024, 100 * 1024 ** 2, 1024 ** 3, 1.5 * 1024 ** 3, 2048, false,
    ]);
    expect(parseSize(300)).toEqual({ ok: true, value: 300 });
  });

  it('reads milliseconds, and durations with a unit', () => {
    expect([1600, '1600', '500ms', '2s', '1.5s', '1m', '1h', 'soon', -1].map((value) => parseDuration(value)).map((parsed) => parsed.ok && parsed.value)).toEqual([
      1600, 1600, 500, 2000, 1500, 60_000, 3_600_000, false, false,
    ]);
  });
});

describe('argument strings', () => {
  it('split on spaces as a shell would, keeping quoted words whole', () => {
    expect(splitWords(`one "two three" 'four five'  six`)).toEqual(['one', 'two three', 'four five', 'six']);
    expect(splitWords(`--name="a b" --x='c d'e`)).toEqual(['--name=a b', '--x=c de']);
    expect(splitWords(`"say \\"hi\\"" back\\ slash ''`)).toEqual(['say "hi"', 'back slash', '']);
    expect(splitWords('  ')).toEqual([]);
  });
});

describe('JSON faults', () => {
  it('point at the first character that is not JSON', () => {
    const text = '{\n  "a": 1,\n  "b": }';
    const fault = jsonFault(text);
    expect(fault.reason).toBe('unexpected "}"');
    expect(lineColumn(text, fault.offset)).toEqual({ line: 3, column: 8 });
    expect(jsonFault('{"a": 1,}').reason).toBe(`expected a "quoted" key, found "}"`);
    expect(jsonFault('[1, 2').reason).toBe('unexpected end of input');
    expect(jsonFault('{"a": "b\nc"}').reason).toBe('control character in a string');
  });
});
