// Bench app: records when its code starts running, then exits 200 ms later after recording the
// moment it exits ($TIMES gets "start <ms>" and "exit <ms>" lines, in epoch milliseconds).
const { appendFileSync } = require('node:fs');
const now = () => performance.timeOrigin + performance.now();
appendFileSync(process.env.TIMES, `start ${now()}\n`);
setTimeout(() => {
  appendFileSync(process.env.TIMES, `exit ${now()}\n`);
  process.exit(1);
}, 200);
