// What a host's live command (remote-live.ts) offers the flow: a leaf, so that the host context can
// hold one without importing the module that builds it.

/**
 * What the live command prints on its own lines, each after the run's marker and `=`: the switch
 * done, the hook done, the ledger line written (or not, with why), the read back that follows.
 */
export const LIVE_MARKS = { switched: 'switched', posted: 'posted', recorded: 'recorded', unrecorded: 'unrecorded', state: 'state' } as const;

/** What the live command did after the hook, when it recorded the run. */
export interface LiveFinish {
  /** Null when the ledger line was written, else why not (its last line of stderr). */
  unrecorded: string | null;
  /** stateCommand's output, read after the record. */
  state: string;
}

/** One host's live command, started by publish. */
export interface LiveCommand {
  /** True when it records the run and reads the host back after the hook (finish takes that). */
  readonly records: boolean;
  /** Resolves once `current` is switched; rejects as publish's command would. */
  readonly switched: Promise<void>;
  /** Sends the go (with the ledger line when it records); resolves once the hook succeeded, rejects as the hook's command would. */
  go(ledgerLine: string | null): Promise<void>;
  /** After a successful hook: the record and the read back (null when it did not record, or the command failed after the hook). */
  finished(): Promise<LiveFinish | null>;
  /** Ends the command without a go (or waits for its end after one). */
  stop(): Promise<void>;
}
