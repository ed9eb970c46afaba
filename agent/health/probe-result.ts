// What a health probe reports: passed, or why not.

/** A probe's result: passed, or why not. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** The result of every probe that passed. */
export const passed: ProbeResult = { ok: true };

/** A failed probe's result, with its reason. */
export const failed = (reason: string): ProbeResult => ({ ok: false, reason });
