export * as tf from '@tensorflow/tfjs';
export { backendInstallHints, backendNames, formatBackendReport, initBackend, nodeBackendLoader, requestedBackend, selectBackend } from './backend';
export type { BackendAttempt, BackendChoice, BackendLoader, BackendName, BackendReport, LoadedBackend } from './backend';
export { environmentVersions } from './environment';
export type { EnvironmentVersions } from './environment';
export { byProfile, currentProfile, profileNames } from './profile';
export type { ProfileName } from './profile';
export { check, checkClose } from './core/assert';
