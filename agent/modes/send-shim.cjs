// Preloaded (node --require) into Node apps in fork mode. pmx opens an IPC channel only when an
// app needs it (wait_ready, shutdown_with_message), because the channel alone costs every app
// about 2.3 MB. Apps written for PM2 may still call process.send('ready') unconditionally; without
// a channel it is a harmless no-op instead of a TypeError. With one, a send after the channel
// closed (the agent that opened it died, and a new one adopted the app) is a no-op too, instead of
// an ERR_IPC_CHANNEL_CLOSED error that would crash the app.
'use strict';
const nowhere = (sent) =>
  function send(message, handle, options, callback) {
    const done = [handle, options, callback].find((arg) => typeof arg === 'function');
    if (done) process.nextTick(done, null);
    return sent;
  };
if (typeof process.send !== 'function') process.send = nowhere(true);
else {
  const send = process.send;
  const closed = nowhere(false); // what node returns for a send on a closed channel
  process.send = function (...args) {
    return process.connected ? send.apply(process, args) : closed(...args);
  };
}
// as PM2 names its apps, so that `ps` and `pgrep -f 'node /path/app.js'` find them (PROCESS_TITLE
// overrides); and the app's own children (child_process.fork) start as plain node, without this file
if (process.env.pm_exec_path) process.title = process.env.PROCESS_TITLE || `node ${process.env.pm_exec_path}`;
const at = process.execArgv.indexOf(__filename);
if (at > 0 && process.execArgv[at - 1] === '--require') process.execArgv.splice(at - 1, 2);
