// The agent's one error class: a stable fault code plus context; the CLI owns the wording.
import { PmxError, type PmxErrorOptions } from './protocol/errors.js';
import type { Fault, FaultCode } from './protocol/types.js';

export class AgentFault extends PmxError<FaultCode> {
  readonly data: Record<string, unknown>;

  constructor(message: string, options: PmxErrorOptions<FaultCode> & { data?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'AgentFault';
    this.data = options.data ?? {};
  }

  /** The fault as it travels on the wire. */
  toWire(): Fault {
    const context = this.context;
    return { code: this.code, message: this.message, data: this.data, ...(Object.keys(context).length > 0 ? { context } : {}) };
  }
}
