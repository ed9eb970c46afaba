// Whole lines out of a text stream that arrives in chunks cut anywhere: a remote command's output,
// a followed log file. The one place that cuts lines and keeps the unfinished one between chunks.

/** The lines `chunk` completes after `partial` (the unfinished line before it), without their `\n`, and the unfinished line it leaves. */
export function splitChunk(partial: string, chunk: string): { lines: string[]; partial: string } {
  const lines = (partial + chunk).split('\n');
  const rest = lines.pop() ?? '';
  return { lines, partial: rest };
}

/** Takes chunks of a command's output, calls its `line` callback once per line completed. */
export interface LineSplitter {
  push(chunk: string): void;
  /** Calls `line` with the unfinished last line, if any, as it is. */
  flush(): void;
}

/** A splitter calling `line` for each complete line, a CRLF ending read as a line end; `push` and `flush` can be passed on unbound. */
export function lineSplitter(line: (text: string) => void): LineSplitter {
  let pending = '';
  return {
    push(chunk) {
      const split = splitChunk(pending, chunk);
      pending = split.partial;
      for (const text of split.lines) line(text.replace(/\r$/, ''));
    },
    flush() {
      if (pending !== '') line(pending);
      pending = '';
    },
  };
}
