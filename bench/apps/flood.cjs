// Bench app: writes $COUNT lines of exactly 100 bytes to stdout as fast as it is let, waiting
// for 'drain' whenever write() returns false (an app that honours back-pressure), then 'done'
// on stderr.
const count = Number(process.env.COUNT);
const tag = `${process.env.NODE_APP_INSTANCE ?? 0}`.padStart(2, '0');
const filler = 'x'.repeat(100);
let i = 0;
function pump() {
  while (i < count) {
    const head = `${tag} ${String(i).padStart(8, '0')} `;
    i++;
    // `=== false`: PM2's cluster workers return undefined from write(), and never 'drain'
    if (process.stdout.write(head + filler.slice(0, 99 - head.length) + '\n') === false) return void process.stdout.once('drain', pump);
  }
  process.stderr.write('done\n');
}
pump();
setInterval(() => {}, 1000);
