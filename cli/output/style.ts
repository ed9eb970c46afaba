// ANSI styling that is on only for colour terminals, and the width of text as a terminal shows it.

/** Wraps text in one SGR style, or returns it unchanged when colours are off. */
export type Paint = (text: string) => string;

/** The styles the renderers use; every one is the identity when colours are off. */
export interface Style {
  readonly enabled: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly italic: Paint;
  readonly underline: Paint;
  readonly inverse: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly blue: Paint;
  readonly cyan: Paint;
  readonly gray: Paint;
}

const sgr = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

const COLORED: Style = {
  enabled: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  italic: sgr(3, 23),
  underline: sgr(4, 24),
  inverse: sgr(7, 27),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  cyan: sgr(36, 39),
  gray: sgr(90, 39),
};

const PLAIN: Style = {
  enabled: false,
  bold: plain,
  dim: plain,
  italic: plain,
  underline: plain,
  inverse: plain,
  red: plain,
  green: plain,
  yellow: plain,
  blue: plain,
  cyan: plain,
  gray: plain,
};

/** The styles, coloured or plain. */
export function styleFor(color: boolean): Style {
  return color ? COLORED : PLAIN;
}

/** Whether to colour a stream: FORCE_COLOR (not 0/false) wins, then NO_COLOR, then whether it is a TTY. */
export function wantsColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** The text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

// Control characters, which would move the cursor or inject escapes when printed as they are.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED_CONTROLS: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** Text that came from outside (names, paths, env values) made safe for one terminal line. */
export function printable(text: string): string {
  return text.replace(CONTROL, (char) => NAMED_CONTROLS[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;
const ZWJ = 0x200d;

// East Asian Wide and Fullwidth blocks (Unicode 15 EastAsianWidth W/F, grouped).
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3041, 0x33ff],
  [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff], [0x1f200, 0x1f2ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

/** Columns one code point takes in a terminal: 0, 1 or 2. */
export function codePointWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x7f) return code < 0x20 ? 0 : 1;
  if (ZERO_WIDTH.test(char)) return 0;
  if (EMOJI.test(char)) return 2;
  return WIDE.some(([from, to]) => code >= from && code <= to) ? 2 : 1;
}

/** Columns the text takes in a terminal, ignoring ANSI sequences. */
export function displayWidth(text: string): number {
  let width = 0;
  let joined = false;
  for (const char of stripAnsi(text)) {
    // The code point after a zero-width joiner is drawn inside the same glyph (emoji sequences).
    if (!joined) width += codePointWidth(char);
    joined = char.codePointAt(0) === ZWJ;
  }
  return width;
}

/** Plain text cut to `width` columns, ending with `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = codePointWidth(char);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return out + '…';
}
