// Bench app: answers 'ok'; closes its server on SIGINT (the usual graceful pattern).
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT));
process.on('SIGINT', () => server.close(() => process.exit(0)));
