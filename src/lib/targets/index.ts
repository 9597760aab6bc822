export { openTarget, resolveStage, resolveTargetName } from './open.js';
export * from './target.js';
