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
