// The strategy an environment names.
import type { DeployStrategy } from '../types.js';
import { gitStrategy } from './git.js';
import { releaseStrategy } from './release.js';
import type { SourceStrategy } from './types.js';

/** The implementation of `strategy`. */
export function strategyFor(name: DeployStrategy): SourceStrategy {
  return name === 'release' ? releaseStrategy : gitStrategy;
}
