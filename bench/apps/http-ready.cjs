// Bench app: says ready once listening (for --wait-ready) and closes its server on SIGINT.
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), () => process.send?.('ready'));
process.on('SIGINT', () => server.close(() => process.exit(0)));
