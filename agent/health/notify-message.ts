// systemd's notify protocol (sd_notify(3)): one datagram holds newline-separated KEY=VALUE
// assignments. Read here into what pmx acts on; unknown keys (BARRIER=1, ERRNO=, ...) are ignored.

/** What one datagram said, only the keys it carried. */
export interface NotifyMessage {
  ready?: true;
  /** STATUS=: a line for describe and the dashboard. */
  status?: string;
  /** WATCHDOG=1 (a ping), or WATCHDOG=trigger (the app asks to be treated as hung). */
  watchdog?: 'ping' | 'trigger';
  stopping?: true;
  reloading?: true;
  /** MAINPID=: the pid the app names as its main process. */
  mainpid?: number;
}

/** Reads one datagram. */
export function parseNotify(datagram: string): NotifyMessage {
  const message: NotifyMessage = {};
  for (const line of datagram.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'READY' && value === '1') message.ready = true;
    else if (key === 'STATUS') message.status = value;
    else if (key === 'WATCHDOG' && (value === '1' || value === 'trigger')) message.watchdog = value === '1' ? 'ping' : 'trigger';
    else if (key === 'STOPPING' && value === '1') message.stopping = true;
    else if (key === 'RELOADING' && value === '1') message.reloading = true;
    else if (key === 'MAINPID' && /^[1-9][0-9]*$/.test(value)) message.mainpid = Number(value);
  }
  return message;
}
