// Bench app: writes $COUNT lines of exactly 100 bytes with console.log in a tight loop (the
// return value of write() ignored, as most apps log), then 'done' on stderr.
const count = Number(process.env.COUNT);
const tag = `${process.env.NODE_APP_INSTANCE ?? 0}`.padStart(2, '0');
const filler = 'x'.repeat(100);
for (let i = 0; i < count; i++) {
  const head = `${tag} ${String(i).padStart(8, '0')} `;
  console.log(head + filler.slice(0, 99 - head.length));
}
console.error('done');
setInterval(() => {}, 1000);
