// Bench app: the bare static server `serve` is compared with: serve-static (Express's) on a plain
// http server, serving $ROOT on $PORT, with no manager around it.
const serveStatic = require('serve-static');
const serve = serveStatic(process.env.ROOT);
require('node:http')
  .createServer((req, res) => serve(req, res, () => res.writeHead(404).end()))
  .listen(Number(process.env.PORT), '127.0.0.1');
