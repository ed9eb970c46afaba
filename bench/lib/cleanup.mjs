// What must happen however a run ends: daemons killed, temporary folders removed. Tasks run in
// reverse order of registration, at the end of a run, or on SIGINT/SIGTERM, after which the
// run stops starting anything (a PM2 command would spawn a new daemon) and exits.
const tasks = [];
let installed = false;
let cleaning = null;
let interrupted = null;

/** The signal that interrupted the run, or null. */
export const interruptedBy = () => interrupted;

/** Throws once the run was interrupted: nothing new may start then. */
export function assertRunning() {
  if (interrupted) throw Object.assign(new Error(`interrupted by ${interrupted}`), { interrupted: true });
}

/** Registers an async task; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(task) {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, async () => {
        if (interrupted) return;
        interrupted = signal;
        console.error(`\n${signal}: cleaning up (killing the daemons this run started) ...`);
        await cleanupAll();
        process.exit(130);
      });
    }
  }
  const entry = { task, done: false };
  tasks.push(entry);
  return async () => {
    if (entry.done) return;
    entry.done = true;
    tasks.splice(tasks.indexOf(entry), 1);
    await task();
  };
}

/** Runs every registered task; concurrent callers share one pass. */
export function cleanupAll() {
  cleaning ??= (async () => {
    while (tasks.length > 0) {
      const entry = tasks.pop();
      entry.done = true;
      try {
        await entry.task();
      } catch (error) {
        console.error(`cleanup failed: ${error.message}`);
      }
    }
    cleaning = null;
  })();
  return cleaning;
}
