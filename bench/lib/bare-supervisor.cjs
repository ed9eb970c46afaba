// The floor for crash-to-restart: a minimal supervisor that respawns `node app` the moment it exits.
const { spawn } = require('node:child_process');
const [app, runs] = [process.argv[2], Number(process.argv[3])];
let left = runs;
(function start() {
  spawn(process.execPath, [app], { stdio: 'inherit' }).on('exit', () => (--left > 0 ? start() : process.exit(0)));
})();
