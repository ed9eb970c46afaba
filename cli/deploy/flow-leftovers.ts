// What each host would be left with if pmx quit this instant (a second Ctrl-C): said before
// quitting, so that nobody has to guess what to look at on which host.
import type { HostSlot } from './host-slot.js';

/** One line per host that has something half-done, or one line saying nothing is. */
export function leftoversOf(slots: readonly HostSlot[], stage: 'prepare' | 'publish' | 'finish'): string[] {
  const lines: string[] = [];
  for (const slot of slots) {
    const { ctx, running } = slot;
    const parts: string[] = [];
    if (running) parts.push(`${running} was running there and may go on until it ends${ctx.locked ? ' (the next deploy there is refused until then, or waits for it with lock_timeout)' : ''}`);
    if (ctx.published && slot.wentBack === 'back' && running !== 'rollback') {
      parts.push(`rolled back: ${ctx.previous ? `current points at ${ctx.previous} again${ctx.reloaded ? ' (its post-deploy ran again)' : ''}` : 'current removed (this was the first deploy)'}; its ledger may have no line for this run`);
    } else if (ctx.published && (running === 'rollback' || slot.wentBack === 'unknown')) {
      const back = ctx.previous ? `back at ${ctx.previous} (its post-deploy may run again)` : 'removed (this was the first deploy)';
      parts.push(`current points at ${ctx.release} or already ${back}; its ledger may have no line for this run`);
    } else if (ctx.published) {
      const reload = running === 'post-deploy' ? 'post-deploy had not finished' : slot.failure?.phase === 'post-deploy' ? 'post-deploy failed' : ctx.reloaded ? 'post-deploy ran' : 'post-deploy had not run';
      parts.push(`current points at ${ctx.release} (${reload}); its ledger may have no line for this run`);
    } else if (ctx.created) parts.push(`the prepared release ${ctx.release} stays in releases/ (the next deploy removes it)`);
    if (ctx.lock) parts.push('its deploy lock is released when the SSH session closes');
    if (parts.length > 0) lines.push(`${slot.label}: ${parts.join('; ')}`);
  }
  if (lines.length === 0) return [stage === 'prepare' ? 'nothing: no host had started changing anything' : 'nothing half-done'];
  return lines;
}
