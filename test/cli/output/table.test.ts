// The box-drawing table: aligned by display width, narrowed to fit the terminal.
import { describe, expect, it } from 'vitest';
import { displayWidth, styleFor } from '../../../cli/output/style.js';
import { renderTable, tableWidth } from '../../../cli/output/table.js';

const plain = styleFor(false);

describe('renderTable', () => {
  it('draws a header, a separator and compact rows inside box-drawing borders', () => {
    const out = renderTable([{ header: 'id' }, { header: 'name' }], [['0', 'api'], ['1', 'worker']], { style: plain });
    expect(out.split('\n')).toEqual([
      '┌────┬────────┐',
      '│ id │ name   │',
      '├────┼────────┤',
      '│ 0  │ api    │',
      '│ 1  │ worker │',
      '└────┴────────┘',
    ]);
  });

  it('draws the header alone when there are no rows', () => {
    expect(renderTable([{ header: 'id' }], [], { style: plain }).split('\n')).toEqual(['┌────┐', '│ id │', '└────┘']);
  });

  it('aligns wide characters and coloured cells by what the terminal shows', () => {
    const colour = styleFor(true);
    const out = renderTable([{ header: 'name' }, { header: 'status' }], [
      ['日本語', { text: 'online', paint: colour.green }],
      ['api', { text: 'errored', paint: colour.red }],
    ], { style: colour });
    const widths = out.split('\n').map(displayWidth);
    expect(new Set(widths).size).toBe(1);
  });

  it('right-aligns a column when asked', () => {
    const out = renderTable([{ header: 'n', align: 'right', minWidth: 4 }], [['7']], { style: plain });
    expect(out).toContain('│    7 │');
  });

  it('cuts shrinkable columns with an ellipsis to fit maxWidth, leaving the others whole', () => {
    const rows = [['0', 'a-very-long-process-name-indeed', 'online']];
    const columns = [{ header: 'id' }, { header: 'name', shrink: true }, { header: 'status' }];
    const out = renderTable(columns, rows, { style: plain, maxWidth: 30 });
    for (const line of out.split('\n')) expect(displayWidth(line)).toBe(30);
    expect(out).toContain('…');
    expect(out).toContain('online');
  });

  it('draws a key/value table without a header row', () => {
    const out = renderTable([{ header: 'key' }, { header: 'value' }], [['status', 'online']], { style: plain, header: false });
    expect(out.split('\n')).toEqual(['┌────────┬────────┐', '│ status │ online │', '└────────┴────────┘']);
  });
});

describe('tableWidth', () => {
  it('counts padding and borders', () => {
    expect(tableWidth([2, 4])).toBe('┌────┬──────┐'.length);
  });
});
