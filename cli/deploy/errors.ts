// The error of deploy sections: it names the file, the environment and the key at fault.
import { PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';

/** A deploy section that cannot be used as written; `key` is the setting at fault (e.g. `host[1].port`). */
export class DeployConfigError extends PmxError<'DEPLOY_CONFIG'> {
  declare readonly file: string;
  readonly environment: string | null;

  constructor(message: string, options: Omit<PmxErrorOptions<'DEPLOY_CONFIG'>, 'code'> & { file: string; environment?: string | null }) {
    super(message, { ...options, code: 'DEPLOY_CONFIG' });
    this.name = 'DeployConfigError';
    this.environment = options.environment ?? null;
  }
}
