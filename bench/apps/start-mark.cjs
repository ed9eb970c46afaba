// Bench app: appends the moment its code starts (epoch ms) to $MARKS, then idles.
require('node:fs').appendFileSync(process.env.MARKS, `${performance.timeOrigin + performance.now()}\n`);
setInterval(() => {}, 1000);
