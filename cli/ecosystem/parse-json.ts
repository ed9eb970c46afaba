// JSON ecosystem files: strict JSON, else PM2's leniency (it evaluates the file as a JS object
// literal, so comments and trailing commas pass), else an error at the line and column at fault.
import { runInNewContext } from 'node:vm';
import { EcosystemError } from './errors.js';

/** The parsed content of a JSON ecosystem file; `shown` names it in messages. */
export function parseJsonFile(text: string, path: string, shown: string): unknown {
  try {
    return JSON.parse(text);
  } catch (strictError) {
    let evaluated: unknown;
    try {
      // PM2 evaluates the file as JavaScript: `"PORT": process.env.PORT || 3000` works there, so
      // the file sees a copy of the environment (and nothing else of this process)
      evaluated = runInNewContext(`(${text}\n)`, { process: { env: { ...process.env } } }, { filename: path, timeout: 1000 });
    } catch (error) {
      // it parsed as JavaScript and failed as it ran: say so, not that the JSON is invalid
      // (an error of the file's own realm: no instanceof Error)
      const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
      if (typeof name === 'string' && name !== 'SyntaxError' && typeof message === 'string') {
        throw new EcosystemError(`${shown}: cannot evaluate: ${name}: ${message} (a JSON file may use process.env; write a .js file for more)`, { code: 'ECOSYSTEM_UNREADABLE', file: path, cause: error });
      }
      const { offset, reason } = jsonFault(text);
      const { line, column } = lineColumn(text, offset);
      throw new EcosystemError(`${shown}: invalid JSON at line ${line}, column ${column}: ${reason}`, { code: 'ECOSYSTEM_UNREADABLE', file: path, cause: strictError });
    }
    return evaluated;
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

class Fault {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/** Where strict JSON parsing of `text` fails, and why. */
export function jsonFault(text: string): { offset: number; reason: string } {
  let at = 0;
  const fail = (reason?: string): never => {
    throw new Fault(at, reason ?? (at >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[at])}`));
  };
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string): void => {
    space();
    if (text[at] !== char) fail(at >= text.length ? undefined : `expected '${char}', found ${JSON.stringify(text[at])}`);
    at++;
  };
  const string = (): void => {
    expect('"');
    while (text[at] !== '"') {
      if (at >= text.length || text.charCodeAt(at) < 0x20) fail(at >= text.length ? 'unterminated string' : 'control character in a string');
      at += text[at] === '\\' ? 2 : 1;
    }
    at++;
  };
  const value = (): void => {
    space();
    const rest = text.slice(at);
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(rest);
    if (text[at] === '"') return string();
    if (literal && literal[0].length > 0) {
      at += literal[0].length;
      return;
    }
    if (text[at] === '{' || text[at] === '[') {
      const close = text[at] === '{' ? '}' : ']';
      at++;
      space();
      if (text[at] === close) {
        at++;
        return;
      }
      for (;;) {
        if (close === '}') {
          space();
          if (text[at] !== '"') fail(at >= text.length ? undefined : `expected a "quoted" key, found ${JSON.stringify(text[at])}`);
          string();
          expect(':');
        }
        value();
        space();
        if (text[at] !== ',' && text[at] !== close) fail(at >= text.length ? undefined : `expected ',' or '${close}', found ${JSON.stringify(text[at])}`);
        if (text[at++] === close) return;
      }
    }
    fail();
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return { offset: text.length, reason: 'invalid JSON' };
  } catch (error) {
    if (error instanceof Fault) return { offset: error.offset, reason: error.reason };
    throw error;
  }
}
