// Hung Node apps: the metrics preload sends a sample once a second from the app's own event loop,
// so a loop that stays blocked sends none. A watch is armed by each sample and fires when none
// came for `timeoutMs` plus that second; it never fires before the first sample (an app still
// loading its code). The loop may have blocked up to a second after the last sample (it was not
// due yet): only a wait that long past the timeout proves a block of `timeoutMs`, and the blocked
// time told is what is proven (a 1.7 s block was taken for a 2.9 s one, past a 2 s hang_timeout).

/** How often the preload samples (PRELOAD's `sample`, at each whole second). */
const SAMPLE_PERIOD_MS = 1000;
/** A hang watch over one child's samples. */
export interface HangWatch {
  /** A sample arrived: the loop ran. */
  sampled(): void;
  stop(): void;
}

/**
 * Calls `onHung(blockedMs)` once no sample came for `timeoutMs` and `slackMs` after the last one
 * (SAMPLE_PERIOD_MS for the preload's samples; 0 for a watchdog's pings, due every `timeoutMs` by
 * the app's own schedule), with the time since the last less the slack; `now` is the clock in ms.
 */
export function watchHang(timeoutMs: number, now: () => number, onHung: (blockedMs: number) => void, slackMs = SAMPLE_PERIOD_MS): HangWatch {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  return {
    sampled() {
      last = now();
      // one timer per child, pushed back by each sample: refresh() re-arms it without a new handle
      if (timer) timer.refresh();
      else {
        timer = setTimeout(() => {
          const seen = last;
          // the agent itself may have been busy past the timeout: samples that came meanwhile wait in
          // the pipe, and the loop reads them after its timers; decide once they are read
          setImmediate(() => {
            if (timer && last === seen) onHung(now() - last - slackMs);
          }).unref();
        }, timeoutMs + slackMs);
        timer.unref();
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
