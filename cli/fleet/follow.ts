// `pmx logs` on every host at once: each host's own `pmx logs` streams over its SSH connection,
// line by line, until it ends by itself (--nostream, an error) or `stop` resolves.
import { PassThrough } from 'node:stream';
import { lineSplitter } from '../shared/line-splitter.js';
import { type Fleet, type HostResult, onEveryHost } from './fleet.js';
import { PMX_NOT_FOUND, stoppablePmxCommand } from './remote-command.js';
import { pmxMissing } from './run-pmx.js';

/** One line a host's pmx printed. */
export interface HostLine {
  host: string;
  stream: 'out' | 'err';
  line: string;
}

/** The exit status of a host's `pmx logs`; TERM (143) when it was stopped. */
export interface FollowEnd {
  code: number;
  stopped: boolean;
}

/** Runs `pmx <words>` on every host, calling `onLine` with each line; resolves when every host's command ended. */
export async function followEverywhere(fleet: Fleet, words: readonly string[], onLine: (line: HostLine) => void, stop: Promise<void>): Promise<HostResult<FollowEnd>[]> {
  let stopped = false;
  const inputs: PassThrough[] = [];
  // closing a command's stdin is what ends it on the host
  void stop.then(() => {
    stopped = true;
    for (const input of inputs) input.end();
  });
  return onEveryHost(fleet, async (connection, host) => {
    const input = new PassThrough();
    inputs.push(input);
    if (stopped) input.end();
    const out = lineSplitter((line) => onLine({ host, stream: 'out', line }));
    const err = lineSplitter((line) => onLine({ host, stream: 'err', line }));
    const result = await connection.exec(stoppablePmxCommand(fleet.current, words), { stdin: input, onStdout: out.push, onStderr: err.push });
    out.flush();
    err.flush();
    if (result.code === PMX_NOT_FOUND) throw pmxMissing(connection);
    return { code: result.code, stopped };
  });
}
