// Preloaded (node --require) into Node apps unless their spec says `pmx: false`: once a second it
// writes one line of JSON with the app's runtime metrics (heap, event-loop delay, active handles,
// HTTP requests and latency) to a pipe the agent opened for it, whose fd is in PMX_METRICS_FD.
//
// The app sees no IPC channel and no change: the variable is removed from its environment, the
// timer is unref'd (an app that is done exits as before), and only modules node has loaded anyway
// are used (net, v8 and perf_hooks would cost every app 1-2 MB of RSS each). Writes are
// asynchronous with at most one in flight, so an agent that stops reading never blocks the app:
// samples are dropped meanwhile. An agent that went away (EPIPE) turns sampling off.
'use strict';
const fd = Number(process.env.PMX_METRICS_FD);
delete process.env.PMX_METRICS_FD;
// as PM2 names its apps, so that `ps` and `pgrep -f 'node /path/app.js'` find them (PROCESS_TITLE
// overrides); and the app's own children (child_process.fork) start as plain node, without this file
if (process.env.pm_exec_path) process.title = process.env.PROCESS_TITLE || `node ${process.env.pm_exec_path}`;
const at = process.execArgv.indexOf(__filename);
if (at > 0 && process.execArgv[at - 1] === '--require') process.execArgv.splice(at - 1, 2);

// One line in flight at a time on the pipe, so that lines never interleave: samples are dropped
// while one is in flight, messages wait their turn (up to MAX_WAITING bytes).
const MAX_WAITING = 1 << 20;
const waiting = [];
let waitingBytes = 0;
let writing = false;
let closed = false;
function writeLine(line, onWritten) {
  writing = true;
  require('node:fs').write(fd, line + '\n', (error) => {
    writing = false;
    if (error) closed = true;
    if (onWritten) onWritten(error);
    const next = waiting.shift();
    if (next !== undefined && !closed) {
      waitingBytes -= next.length;
      writeLine(next);
    }
  });
}

// Without an IPC channel (pmx opens one only where it is needed), what the app sends with
// process.send goes to the agent over this pipe: PM2's bus carries it to launchBus listeners.
const MAX_MESSAGE = 64 * 1024;
if (Number.isInteger(fd) && fd > 2 && !process.channel) {
  process.send = function send(message, handle, options, callback) {
    const done = [handle, options, callback].find((arg) => typeof arg === 'function');
    let line;
    try {
      line = JSON.stringify({ m: message === undefined ? null : message });
    } catch {
      line = undefined; // not serializable (a cycle): IPC would throw, a relay drops it
    }
    const sent = line !== undefined && line.length <= MAX_MESSAGE && !closed && waitingBytes + line.length <= MAX_WAITING;
    if (sent && !writing) writeLine(line);
    else if (sent) {
      waiting.push(line);
      waitingBytes += line.length;
    }
    if (done) process.nextTick(done, null);
    return sent;
  };
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
    if (writing) return; // the agent has not taken the last line yet: drop this sample
    const loop = Array.from(delays.subarray(0, Math.min(ticks, delays.length))).sort((a, b) => a - b);
    const { heapUsed, heapTotal } = process.memoryUsage();
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
    writeLine(line, (error) => {
      if (error) stop();
    });
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
