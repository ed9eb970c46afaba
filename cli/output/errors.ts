// How an error reaches the user: one line naming what failed, an optional hint, never a stack
// trace for expected failures.

interface Explained {
  message: string;
  hint?: string | null;
  code?: string;
}

/** Prints `error` to `stream` in PM2's `[PMX][ERROR]` style. */
export function reportError(error: unknown, stream: NodeJS.WritableStream): void {
  if (isExplained(error)) {
    stream.write(`[PMX][ERROR] ${error.message}\n`);
    if (error.hint) stream.write(`[PMX] ${error.hint}\n`);
    return;
  }
  const unexpected = error as Error;
  stream.write(`[PMX][ERROR] ${unexpected?.message ?? String(error)}\n`);
  if (process.env.PMX_DEBUG && unexpected?.stack) stream.write(`${unexpected.stack}\n`);
}

/** Errors of pmx's own classes carry a string code and a message meant for users. */
function isExplained(error: unknown): error is Explained {
  const name = (error as Error)?.name;
  return (name === 'CliError' || name === 'EcosystemError' || name === 'AgentFault') && typeof (error as Explained).message === 'string';
}
