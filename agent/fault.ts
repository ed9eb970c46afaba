// The agent's one error class: a stable fault code plus context; the CLI owns the wording.
import type { Fault, FaultCode } from './protocol/types.js';

export class AgentFault extends Error {
  constructor(
    readonly code: FaultCode,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AgentFault';
  }

  /** The fault as it travels on the wire. */
  toWire(): Fault {
    return { code: this.code, message: this.message, data: this.data };
  }
}
