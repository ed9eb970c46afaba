// A worker that does a little work every second and crashes now and then: pmx brings it back.
let ticks = 0;
setInterval(() => {
  ticks++;
  console.log(`worker tick ${ticks}`);
  if (process.env.CRASH_EVERY && ticks % Number(process.env.CRASH_EVERY) === 0) throw new Error('simulated crash');
}, 1000);
