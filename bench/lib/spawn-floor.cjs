// The floor for load-1000's start: plain node spawning <count> `/bin/sleep 3600` (detached, stdio
// ignored, nothing else done), timed from the first spawn until every child has been spawned.
// Prints the milliseconds, then kills the children it started, by pid.
const { spawn } = require('node:child_process');
const count = Number(process.argv[2]);
const started = performance.now();
const children = Array.from({ length: count }, () => spawn('/bin/sleep', ['3600'], { stdio: 'ignore', detached: true }));
Promise.all(children.map((child) => new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject)))).then(
  () => {
    process.stdout.write(`${Math.round(performance.now() - started)}\n`);
    for (const child of children) process.kill(child.pid, 'SIGKILL');
  },
  (error) => {
    for (const child of children) if (child.pid) process.kill(child.pid, 'SIGKILL');
    throw error;
  },
);
