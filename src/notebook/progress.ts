// The progress line and its formatting live in core/output.ts and training/progress.ts, so that the
// trainer needs nothing from src/notebook; they are re-exported here, where notebooks look for them.
export { formatDuration, ProgressLine } from '../core/output';
export type { ProgressLineOptions } from '../core/output';
export { formatTrainingProgress } from '../training/progress';
export type { TrainingProgress } from '../training/progress';
