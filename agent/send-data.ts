// PM2's sendDataToProcessId: a message handed to an app over its IPC channel, where the app reads
// it with process.on('message'), as `{ type: 'process:msg', topic, data, id }`.
import { AgentFault } from './fault.js';
import type { Registry } from './registry.js';

/** Sends `packet` to the process with this id; a process that is not running, or has no IPC channel, is a fault. */
export function sendToProcess(registry: Registry, id: number, packet: Record<string, unknown>): { sent: true } {
  const proc = registry.get(id);
  if (!proc) throw new AgentFault(`no process with id ${id}`, { code: 'NOT_FOUND', data: { id } });
  const child = proc.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) throw new AgentFault(`${proc.spec.name} (id ${id}) is not running`, { code: 'NOT_FOUND', app: proc.spec.name, data: { id } });
  if (!child.connected) {
    throw new AgentFault(`${proc.spec.name} (id ${id}) has no IPC channel to receive data: run it in cluster mode, or with wait_ready or shutdown_with_message`, { code: 'INVALID_REQUEST', app: proc.spec.name, data: { id } });
  }
  child.send({ ...packet, id, type: packet.type ?? 'process:msg' });
  return { sent: true };
}
