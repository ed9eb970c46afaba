// Ecosystem files and `pmx start` flags into validated AppSpecs: the only way apps reach the agent.
export { EcosystemError, type EcosystemErrorCode } from './errors.js';
export { isEcosystemFile, findEcosystemFile, DEFAULT_FILES } from './find.js';
export { loadEcosystem, loadEcosystemNames, loadEcosystemText, loadEcosystemValue, type LoadOptions, type LoadedEcosystem } from './load.js';
export { specFromCli, type CliStartOptions } from './cli-options.js';
