// Reading pmx's SSH trace (PMX_SSH_TRACE=<file>: one JSON line per login, per channel opened
// ahead and per command, see cli/transport/trace.ts) into round trips per host. A command costs
// round trips before it runs, all in [requested, ready]: two on a channel of its own (the channel
// open, then the exec request, which needs the id the server's confirmation carries), one on a
// channel opened ahead of it (the trace's `trips`). Two commands are sequential when the second's
// requests go out after the first's were answered: the sequential round trips of a host are those
// of the longest chain of commands whose [requested, ready] spans do not overlap. Every channel
// open and exec request counts in the total. The login is counted apart.
import { existsSync, readFileSync } from 'node:fs';

/** The trace's lines, grouped by host: { host -> { login, opens, commands: [{ label, requested, ready, end, trips }] } }. */
export function readTrace(file) {
  const byHost = new Map();
  if (!existsSync(file)) return byHost;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const op = JSON.parse(line);
    if (!byHost.has(op.host)) byHost.set(op.host, { login: null, opens: 0, commands: [] });
    const host = byHost.get(op.host);
    if (op.kind === 'connect') host.login = op;
    else if (op.kind === 'open') host.opens++;
    else host.commands.push(op);
  }
  return byHost;
}

/** The longest chain of commands one after another (greedy by earliest answer: optimal for intervals). */
export function sequentialChain(commands) {
  const chain = [];
  let after = -Infinity;
  for (const op of [...commands].sort((a, b) => a.ready - b.ready)) {
    if (op.requested >= after) {
      chain.push(op);
      after = op.ready;
    }
  }
  return chain.sort((a, b) => a.requested - b.requested);
}

const tripsOf = (ops) => ops.reduce((sum, op) => sum + op.trips, 0);

/** Per host: { host, commands, trips (every channel open and exec request), sequential, chain labels, loginMs }. */
export function roundTrips(file) {
  return [...readTrace(file)].map(([host, { login, opens, commands }]) => {
    const chain = sequentialChain(commands);
    return {
      host,
      commands: commands.length,
      // an exec request each, and a channel open for each command without a channel opened ahead
      trips: opens + commands.length + commands.filter((op) => !op.ahead).length,
      sequential: tripsOf(chain),
      chain: chain.map((op) => op.label),
      loginMs: login ? login.ready - login.requested : NaN,
    };
  });
}

/** "check, lock, fetch x2, ..." : the chain's labels, a repeated label counted. */
export function describeChain(labels) {
  const parts = [];
  for (const label of labels) {
    const last = parts.at(-1);
    if (last && last.label === label) last.n++;
    else parts.push({ label, n: 1 });
  }
  return parts.map(({ label, n }) => (n > 1 ? `${label} x${n}` : label)).join(', ');
}
