// A small HTTP app with a /health route for its pmx probe; closes gracefully on SIGINT.
const http = require('node:http');
const server = http.createServer((req, res) => res.end(req.url === '/health' ? 'ok\n' : `hello from pid ${process.pid}\n`));
server.listen(Number(process.env.PORT), '0.0.0.0', () => console.log(`web listening on ${process.env.PORT}`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
