// Preloaded (node --require) into Node apps that run without an IPC channel: pmx opens one only
// when an app needs it (wait_ready, shutdown_with_message, cluster mode), because the channel
// alone costs every app about 2.3 MB. Apps written for PM2 may still call process.send('ready')
// unconditionally; here it is a harmless no-op instead of a TypeError.
'use strict';
if (typeof process.send !== 'function') {
  process.send = function send(message, handle, options, callback) {
    const done = [handle, options, callback].find((arg) => typeof arg === 'function');
    if (done) process.nextTick(done, null);
    return true;
  };
}
// as PM2 names its apps, so that `ps` and `pgrep -f 'node /path/app.js'` find them (PROCESS_TITLE
// overrides); and the app's own children (child_process.fork) start as plain node, without this file
if (process.env.pm_exec_path) process.title = process.env.PROCESS_TITLE || `node ${process.env.pm_exec_path}`;
const at = process.execArgv.indexOf(__filename);
if (at > 0 && process.execArgv[at - 1] === '--require') process.execArgv.splice(at - 1, 2);
