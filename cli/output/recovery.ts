// What the user is told when the agent this command started took over from an agent that died.
import type { RecoveredProcess, RecoveryReport } from '../../agent/protocol/launch.js';

/** The lines (for stderr) about a recovery: what was adopted, restarted, found exited, started, kept at rest; where the log is. */
export function formatRecovery(report: RecoveryReport, newPid: number | null, logFile: string): string {
  const dead = report.deadAgentPid ? `The pmx agent (pid ${report.deadAgentPid})` : 'The pmx agent';
  // an agent of an older version reports no `stopped`
  const stopped = (report.stopped ?? []).length > 0 ? `[PMX]   stopped, running but not among the processes it recorded (started while its state file could not be written, or left running by an app it restarted): ${names(report.stopped)}` : null;
  if (report.lost) {
    return `[PMX][WARN] ${dead} had died and what it ran cannot be known: ${report.lost}. Whatever of it still wrote into this home's pipes was stopped (see ${logFile})\n${stopped ? `${stopped}\n` : ''}`;
  }
  const by = newPid ? `the new agent (pid ${newPid})` : 'the new agent';
  if (report.shutdown) {
    const left = report.stopped.length > 0 ? `, and stopped what it left running: ${names(report.stopped)}` : '';
    return `[PMX][WARN] ${dead} had died while stopping every process (pmx kill, pmx update, a service stop); ${by} finished that stop${left}. 'pmx resurrect' starts what 'pmx save' recorded (see ${logFile})\n`;
  }
  const lines = [`[PMX][WARN] ${dead} had died; ${by} took over its processes:`];
  if (report.adopted.length > 0) lines.push(`[PMX]   adopted, still running: ${names(report.adopted)}`);
  if (report.restarted.length > 0) lines.push(`[PMX]   restarted once (cluster workers and socket-activated apps end with their agent): ${names(report.restarted)}`);
  if (report.exited.length > 0) lines.push(`[PMX]   had exited meanwhile, handled by their restart policy: ${names(report.exited)}`);
  // an agent of an older version reports no `started`
  if ((report.started ?? []).length > 0) lines.push(`[PMX]   started, as the start under way when it died asked (it had not launched them yet): ${names(report.started!)}`);
  if (stopped) lines.push(stopped);
  if (lines.length === 1) lines.push('[PMX]   none was running');
  if ((report.resting ?? []).length > 0) lines.push(`[PMX]   at rest, kept as it left them: ${names(report.resting!)}`);
  lines.push(`[PMX]   see ${logFile}`);
  return `${lines.join('\n')}\n`;
}

function names(procs: RecoveredProcess[]): string {
  return procs.map((proc) => `${proc.name} (id ${proc.id}${proc.pid ? `, pid ${proc.pid}` : ''})`).join(', ');
}
