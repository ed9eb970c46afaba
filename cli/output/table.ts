// Box-drawing tables like PM2's (cli-tableau, compact style): columns sized by display width,
// cells cut with `…` when the table would not fit the terminal.
import { displayWidth, type Paint, type Style, truncate } from './style.js';

/** One cell: its plain text, and the paint applied after it is cut and padded. */
export interface Cell {
  text: string;
  paint?: Paint;
}

/** A column: its header, the least content width it takes, and whether it may be cut to fit. */
export interface Column {
  header: string;
  minWidth?: number;
  align?: 'left' | 'right';
  /** May be narrowed (its cells cut) when the table is wider than `maxWidth`. */
  shrink?: boolean;
  /** A fixed content width, as cli-tableau's colWidths (less the padding): longer cells are cut with `…`. */
  width?: number;
}

/** How a table is drawn. */
export interface TableOptions {
  style: Style;
  /** Draw the header row (false for a key/value table such as `describe`). */
  header?: boolean;
  /** Terminal columns available; the table is narrowed to fit when it can. */
  maxWidth?: number;
}

const PADDING = 1;
const NARROWEST = 3;

/** The table as lines joined by `\n`, without a trailing newline. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<Cell | string>>, options: TableOptions): string {
  const { style } = options;
  const showHeader = options.header !== false;
  const body = rows.map((row) => columns.map((_, index) => toCell(row[index])));
  const widths = columnWidths(columns, body, showHeader);
  fitWidths(widths, columns, options.maxWidth, showHeader);

  const border = (left: string, middle: string, right: string): string =>
    style.gray(left + widths.map((width) => '─'.repeat(width + 2 * PADDING)).join(middle) + right);
  const line = (cells: readonly Cell[]): string => {
    const bar = style.gray('│');
    const inner = cells.map((cell, index) => {
      const width = widths[index] ?? 0;
      const text = truncate(cell.text, width);
      const pad = ' '.repeat(width - displayWidth(text));
      const painted = cell.paint ? cell.paint(text) : text;
      const aligned = columns[index]?.align === 'right' ? pad + painted : painted + pad;
      return ' '.repeat(PADDING) + aligned + ' '.repeat(PADDING);
    });
    return bar + inner.join(bar) + bar;
  };

  const lines = [border('┌', '┬', '┐')];
  if (showHeader) {
    lines.push(line(columns.map((column) => ({ text: column.header, paint: (text) => style.bold(style.cyan(text)) }))));
    if (body.length > 0) lines.push(border('├', '┼', '┤'));
  }
  for (const cells of body) lines.push(line(cells));
  lines.push(border('└', '┴', '┘'));
  return lines.join('\n');
}

/** Width of a table with these content widths, borders and padding included. */
export function tableWidth(widths: readonly number[]): number {
  return widths.reduce((sum, width) => sum + width + 2 * PADDING, 0) + widths.length + 1;
}

function toCell(value: Cell | string | undefined): Cell {
  if (value === undefined) return { text: '' };
  return typeof value === 'string' ? { text: value } : value;
}

function columnWidths(columns: readonly Column[], body: readonly (readonly Cell[])[], showHeader: boolean): number[] {
  return columns.map((column, index) => {
    if (column.width !== undefined) return column.width;
    let width = Math.max(column.minWidth ?? 0, showHeader ? displayWidth(column.header) : 0);
    for (const cells of body) width = Math.max(width, displayWidth(cells[index]?.text ?? ''));
    return width;
  });
}

/** Narrows the shrinkable columns, widest first, until the table fits or none can give more. */
function fitWidths(widths: number[], columns: readonly Column[], maxWidth: number | undefined, showHeader: boolean): void {
  if (maxWidth === undefined || !Number.isFinite(maxWidth)) return;
  let excess = tableWidth(widths) - maxWidth;
  while (excess > 0) {
    let widest = -1;
    columns.forEach((column, index) => {
      const floor = Math.max(NARROWEST, showHeader ? displayWidth(column.header) : 0);
      const width = widths[index] ?? 0;
      if (column.shrink && width > floor && (widest < 0 || width > (widths[widest] ?? 0))) widest = index;
    });
    if (widest < 0) return;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess -= 1;
  }
}
