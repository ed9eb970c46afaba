// Bench app: answers 'ok', with no signal handler at all.
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));
