// Reading followed log files no faster than the terminal (or pipe) shows them: a follower that
// read on while its output waited in memory grew without bound behind `pmx logs | grep`, and lost
// what it held at Ctrl-C. Reads happen in turns; the next waits until the output has drained.

/** Asks for a turn (`ask`, any number of times: one turn reads what is there); `stop` ends the turns. */
export interface Pace {
  ask(): void;
  stop(): void;
}

/**
 * Runs `turn` when asked, and again while it says more is waiting, each time after `outputs`
 * have taken what the last turn wrote.
 */
export function paced(outputs: NodeJS.WriteStream[], turn: () => boolean): Pace {
  let waiting = false;
  let stopped = false;
  const run = (): void => {
    waiting = false;
    if (stopped) return;
    const more = turn();
    const full = outputs.find((output) => output.writableNeedDrain);
    if (full) {
      waiting = true;
      full.once('drain', run);
    } else if (more) {
      waiting = true;
      setImmediate(run);
    }
  };
  return {
    ask: () => {
      if (waiting || stopped) return;
      waiting = true;
      setImmediate(run);
    },
    stop: () => {
      stopped = true;
    },
  };
}
