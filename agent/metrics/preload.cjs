// Preloaded (node --require) into Node apps unless their spec says `pmx: false`: once a second it
// writes one line of JSON with the app's runtime metrics (heap, event-loop delay, active handles,
// HTTP requests and latency) to a pipe the agent opened for it, whose fd is in PMX_METRICS_FD.
//
// The app sees no IPC channel and no change: the variable is removed from its environment, the
// timer is unref'd (an app that is done exits as before), and only modules node has loaded anyway
// are used (net, v8 and perf_hooks would cost every app 1-2 MB of RSS each). Writes never block
// the app (below), so an agent that stops reading never stops it, nor keeps it from exiting:
// samples are dropped meanwhile. An agent that went away for good (EPIPE) turns sampling off.
'use strict';
const fd = Number(process.env.PMX_METRICS_FD);
delete process.env.PMX_METRICS_FD;
// as PM2 names its apps, so that `ps` and `pgrep -f 'node /path/app.js'` find them (PROCESS_TITLE
// overrides); and the app's own children (child_process.fork) start as plain node, without this file
if (process.env.pm_exec_path) process.title = process.env.PROCESS_TITLE || `node ${process.env.pm_exec_path}`;
const at = process.execArgv.indexOf(__filename);
if (at > 0 && process.execArgv[at - 1] === '--require') process.execArgv.splice(at - 1, 2);

// The pipe is written without ever blocking the app: through a non-blocking description of the
// same pipe (opened again by path: the app's own end was opened read-write, so there is always a
// reader and the open cannot fail for want of one), synchronously, whole lines in order. What the
// pipe cannot take now (no agent reads it: one died, the next is not up) waits here, tried again
// on an unref'd timer, so that an app that is done exits all the same; samples are not kept then,
// messages are, up to MAX_WAITING bytes.
const MAX_WAITING = 16 * 1024 * 1024;
const RETRY_MS = 100;
const waiting = [];
let waitingBytes = 0;
let retry = null;
let closed = false;
let out = -1;

/**
 * An app may close its stdin, stdout or stderr (a daemon's habit). Then the next descriptor opened
 * takes that number, and Node aborts when libuv closes a descriptor 0-2 it opened itself (as
 * process.memoryUsage() does with /proc/self/stat: SIGABRT every sample). A closed one is given
 * /dev/null, as a daemon's are, before the preload opens anything.
 */
function keepStdioOpen() {
  const { fstatSync, openSync, closeSync } = require('node:fs');
  for (let std = 0; std <= 2; std++) {
    try {
      fstatSync(std);
    } catch {
      try {
        const filled = openSync('/dev/null', 'r+');
        if (filled > 2) closeSync(filled);
      } catch {
        // no descriptor free (EMFILE): the app's own trouble, which the preload must not make fatal
      }
    }
  }
}

function pipe() {
  if (out >= 0) return out;
  keepStdioOpen();
  const { openSync, constants } = require('node:fs');
  try {
    out = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    out = fd; // no /proc: the blocking end, as before
  }
  return out;
}

/** Queues one line (a Buffer ending with a newline) and writes what the pipe takes now. */
function writeLine(line) {
  waiting.push(line);
  waitingBytes += line.length;
  flush();
}

function flush() {
  const { writeSync } = require('node:fs');
  while (waiting.length > 0 && !closed) {
    const head = waiting[0];
    let written;
    try {
      written = writeSync(pipe(), head);
    } catch (error) {
      if (error.code !== 'EAGAIN') {
        // the agent's end is gone for good (the FIFO removed): nothing more is sent
        closed = true;
        waiting.length = 0;
        waitingBytes = 0;
        return;
      }
      written = 0;
    }
    waitingBytes -= written;
    if (written === head.length) waiting.shift();
    else {
      // a line is never cut by another: the rest of it goes first when the pipe has room
      waiting[0] = head.subarray(written);
      retry ??= setTimeout(() => {
        retry = null;
        flush();
      }, RETRY_MS).unref();
      return;
    }
  }
}

// Without an IPC channel (pmx opens one only where it is needed), what the app sends with
// process.send goes to the agent over this pipe: PM2's bus carries it to launchBus listeners. As
// over IPC, a message that cannot be serialized throws; one that cannot be sent (larger than
// MAX_MESSAGE, or MAX_WAITING bytes waiting already) is not sent: false, and the callback gets why.
const MAX_MESSAGE = 1024 * 1024;
if (Number.isInteger(fd) && fd > 2 && !process.channel) {
  process.send = function send(message, handle, options, callback) {
    const done = [handle, options, callback].find((arg) => typeof arg === 'function');
    if (message === undefined) throw Object.assign(new TypeError('The "message" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
    const line = Buffer.from(JSON.stringify({ m: message }) + '\n');
    let why = null;
    if (line.length > MAX_MESSAGE) why = `a message of ${line.length} bytes, more than pmx relays (${MAX_MESSAGE}) without an IPC channel`;
    else if (closed) why = 'the pipe to the agent is closed';
    else if (waitingBytes + line.length > MAX_WAITING) why = `${waitingBytes} bytes wait for the agent already (no agent reads them)`;
    if (why === null) writeLine(line);
    if (done) process.nextTick(done, why === null ? null : Object.assign(new Error(`process.send: not sent: ${why}`), { code: 'ERR_PMX_NOT_SENT' }));
    return why === null;
  };
}

// PM2's bus tells `process:exception`, with the error, when an app dies of an uncaught exception
// (crash notifiers listen for it). The monitor event changes nothing of what the exception does;
// an app with its own 'uncaughtException' handler does not die of it, and nothing is told.
if (Number.isInteger(fd) && fd > 2) {
  process.on('uncaughtExceptionMonitor', (error) => {
    if (process.listenerCount('uncaughtException') > 0) return;
    try {
      process.send({ type: 'process:exception', data: errorData(error) });
    } catch {
      // not sent (a closed channel): the exception goes on as it would
    }
  });
}

/** What PM2 sends of an error: its own properties (message, stack, code, ...) that can be sent. */
function errorData(error) {
  if (error === null || typeof error !== 'object') return { message: String(error) };
  const data = {};
  for (const key of Object.getOwnPropertyNames(error)) {
    const value = error[key];
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
  }
  return data;
}

// the rest once the app's own first tick has run: its signal handlers and servers come first
// (an app is never slower to start), and an HTTP request can only arrive after that anyway
if (Number.isInteger(fd) && fd > 2) setTimeout(start, 0).unref();

function start() {
  const { channel } = require('node:diagnostics_channel');
  const now = () => Number(process.hrtime.bigint()) / 1e6;

  // event-loop delay: how late a 250 ms timer fires, over its last 40 ticks (10 s); a shorter
  // period would cost an idle app more CPU (100 ms: 0.15 % of a core each) for little more
  const TICK_MS = 250;
  const delays = new Float64Array(40);
  let ticks = 0;

  // HTTP: a count, the count at each of the last 60 samples (requests per minute), and the
  // latest latencies with their time in a ring (mean and percentiles over the last minute)
  const totals = new Float64Array(60);
  let samples = 0;
  const RING = 1024;
  const latencies = new Float64Array(RING);
  const finishedAt = new Float64Array(RING);
  let requests = 0;
  let latencySum = 0;
  // the start time rides on the response itself: cheaper per request than a WeakMap
  const kStart = Symbol('pmx.start');
  const onStart = ({ response }) => {
    response[kStart] = now();
  };
  const onFinish = ({ response }) => {
    const begin = response[kStart];
    if (begin === undefined) return;
    const end = now();
    latencies[requests % RING] = end - begin;
    finishedAt[requests % RING] = end;
    latencySum += end - begin;
    requests++;
  };
  const requestStart = channel('http.server.request.start');
  const responseFinish = channel('http.server.response.finish');
  requestStart.subscribe(onStart);
  responseFinish.subscribe(onFinish);

  // Ticks fall on wall-clock multiples of TICK_MS and samples on whole seconds, in every app
  // alike: the agent then reads the samples of all its apps in a few wake-ups a second, not one
  // per app (that alone was half of its CPU with 50 apps).
  let stopped = false;
  let due = 0;
  let timer = schedule();

  function schedule() {
    const wait = TICK_MS - (Date.now() % TICK_MS);
    due = now() + wait;
    const handle = setTimeout(tick, wait);
    handle.unref();
    return handle;
  }

  function tick() {
    const at = now();
    delays[ticks % delays.length] = Math.max(0, at - due);
    ticks++;
    if (Date.now() % 1000 < TICK_MS) sample(at);
    if (!stopped) timer = schedule();
  }

  function sample(at) {
    const recent = [];
    for (let i = Math.max(0, requests - RING); i < requests; i++) {
      if (at - finishedAt[i % RING] <= 60_000) recent.push(latencies[i % RING]);
    }
    recent.sort((a, b) => a - b);
    const minuteAgo = totals[samples % 60];
    totals[samples % 60] = requests;
    samples++;
    if (closed) return stop();
    if (waiting.length > 0) return; // the agent has not taken what came before: this sample is dropped
    const loop = Array.from(delays.subarray(0, Math.min(ticks, delays.length))).sort((a, b) => a - b);
    keepStdioOpen();
    let memory;
    try {
      memory = process.memoryUsage();
    } catch {
      // it reads /proc/self/statm: EMFILE while the app has every descriptor in use, which uncaught
      // here (a timer) would end the app; this sample is skipped (node:v8's figures cost 1.4 MB)
      return;
    }
    const { heapUsed, heapTotal } = memory;
    const line = JSON.stringify({
      heapUsed,
      heapTotal,
      loopP50: percentile(loop, 0.5),
      loopP95: percentile(loop, 0.95),
      handles: process.getActiveResourcesInfo().length,
      requests,
      latencySum,
      requestsPerMinute: requests - minuteAgo,
      latencyMean: recent.length > 0 ? recent.reduce((sum, ms) => sum + ms, 0) / recent.length : 0,
      latencyP50: percentile(recent, 0.5),
      latencyP95: percentile(recent, 0.95),
    });
    writeLine(Buffer.from(line + '\n'));
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    requestStart.unsubscribe(onStart);
    responseFinish.unsubscribe(onFinish);
  }
}

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
