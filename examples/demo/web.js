// A small HTTP app: answers with its greeting and pid, closes gracefully on SIGINT.
const http = require('node:http');
const server = http.createServer((req, res) => res.end(`${process.env.GREETING} (pid ${process.pid})\n`));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`web listening on ${process.env.PORT}`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
