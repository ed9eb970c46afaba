// The error of deploy sections: it names the file, the environment and the key at fault.

/** A deploy section that cannot be used as written; `key` is the setting at fault (e.g. `host[1].port`). */
export class DeployConfigError extends Error {
  readonly code = 'DEPLOY_CONFIG';

  constructor(
    message: string,
    readonly file: string,
    readonly environment: string | null,
    readonly key: string | null,
  ) {
    super(message);
    this.name = 'DeployConfigError';
  }
}
