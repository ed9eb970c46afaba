// Whether an ecosystem file's code ran in this process. What it leaves open (a database client, a
// logger's timer) would keep the command from ever exiting, as PM2's CLI never waits for it: the
// command exits once it is done (cli/main.ts). Apart from the loader so that every command's end
// reads it without loading the loader.

let ran = false;

/** The loader is about to run a file's code. */
export function markEcosystemCode(): void {
  ran = true;
}

/** Whether an ecosystem file's code ran in this process. */
export function ranEcosystemCode(): boolean {
  return ran;
}
