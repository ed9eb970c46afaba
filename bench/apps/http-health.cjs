// Bench app: answers 'ok' on $PORT (any path, /health included). SIGUSR2: its handlers stop
// answering (the process and its loop stay alive); SIGUSR1: its event loop blocks for good.
let answering = true;
require('node:http').createServer((req, res) => answering && res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGUSR2', () => (answering = false));
process.on('SIGUSR1', () => {
  for (;;);
});
