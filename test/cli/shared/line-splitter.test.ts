// Lines from chunks cut anywhere: splitChunk keeps the unfinished line for the next chunk and every
// byte as written (log files); lineSplitter also reads CRLF as a line end and flushes the last line.
import { describe, expect, it } from 'vitest';
import { lineSplitter, splitChunk } from '../../../cli/shared/line-splitter.js';

function split(chunks: string[]): { lines: string[]; flushed: string[] } {
  const lines: string[] = [];
  const splitter = lineSplitter((text) => lines.push(text));
  chunks.forEach(splitter.push); // unbound, as callers pass it on as onStdout
  const before = lines.length;
  splitter.flush();
  return { lines: lines.slice(0, before), flushed: lines.slice(before) };
}

describe('splitChunk', () => {
  it.each([
    ['', 'one\ntwo\n', ['one', 'two'], ''],
    ['', 'one\ntw', ['one'], 'tw'],
    ['tw', 'o\nthr', ['two'], 'thr'],
    ['thr', 'ee', [], 'three'],
    ['', '\n\n', ['', ''], ''],
    ['', '', [], ''],
    ['dos', '\r\nline\r', ['dos\r'], 'line\r'],
  ])('after %j, %j completes %j and leaves %j', (partial, chunk, lines, rest) => {
    expect(splitChunk(partial, chunk)).toEqual({ lines, partial: rest });
  });
});

describe('lineSplitter', () => {
  it('joins a line cut across chunks', () => {
    expect(split(['one\ntw', 'o\nthr', 'ee', '\n'])).toEqual({ lines: ['one', 'two', 'three'], flushed: [] });
  });

  it('keeps empty lines', () => {
    expect(split(['a\n\n', '\nb\n']).lines).toEqual(['a', '', '', 'b']);
  });

  it('flush gives the last line that has no newline, once', () => {
    const lines: string[] = [];
    const splitter = lineSplitter((text) => lines.push(text));
    splitter.push('done\nno newline');
    splitter.flush();
    splitter.flush();
    expect(lines).toEqual(['done', 'no newline']);
  });

  it('reads CRLF as a line end, even when the \\r and \\n arrive in different chunks', () => {
    expect(split(['dos\r\nline\r', '\nlast\r\n']).lines).toEqual(['dos', 'line', 'last']);
  });

  it('removes only the \\r that ends a line', () => {
    expect(split(['progress 10%\rprogress 20%\r\n']).lines).toEqual(['progress 10%\rprogress 20%']);
  });
});
