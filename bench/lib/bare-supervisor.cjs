// The floor for crash-restart: a minimal supervisor in plain node that respawns `node <app>`
// the moment it exits, <runs> times in all.
const { spawn } = require('node:child_process');
const [app, runs] = [process.argv[2], Number(process.argv[3])];
let left = runs;
(function start() {
  spawn(process.execPath, [app], { stdio: 'ignore' }).on('exit', () => (--left > 0 ? start() : process.exit(0)));
})();
