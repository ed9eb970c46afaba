// The DeployConfigError a call throws, for tests of deploy configuration errors.
import { DeployConfigError } from '../../../cli/deploy/errors.js';

/** Runs `run` and returns the DeployConfigError it threw; anything else (or nothing thrown) fails the test. */
export function failure(run: () => unknown): DeployConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof DeployConfigError) return error;
    throw error;
  }
  throw new Error('expected a DeployConfigError');
}
