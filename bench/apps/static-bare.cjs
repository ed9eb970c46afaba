// Bench app: the bare static server `serve` is compared with (no sirv or serve-static is
// installed): http.createServer + fs.createReadStream of the file under $ROOT, with a content type.
const { createReadStream } = require('node:fs');
const { join } = require('node:path');
require('node:http')
  .createServer((req, res) => {
    const stream = createReadStream(join(process.env.ROOT, req.url === '/' ? 'index.html' : req.url.split('?')[0]));
    stream.on('open', () => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }));
    stream.on('error', () => res.writeHead(404).end());
    stream.pipe(res);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
