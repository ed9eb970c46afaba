// Bench app: records when its code starts running, then exits with code 1 200 ms later (or on
// SIGINT/SIGTERM), recording the moment it exits: $TIMES gets "start <ms>" and "exit <ms>"
// lines, in epoch milliseconds (performance.timeOrigin + performance.now(): comparable across
// processes, unlike hrtime).
const { appendFileSync } = require('node:fs');
const now = () => performance.timeOrigin + performance.now();
appendFileSync(process.env.TIMES, `start ${now()}\n`);
const crash = () => {
  appendFileSync(process.env.TIMES, `exit ${now()}\n`);
  process.exit(1);
};
setTimeout(crash, 200);
process.on('SIGINT', crash);
process.on('SIGTERM', crash);
