export { validateChanges } from './validateChanges.js';
export type { ValidateChangesOptions } from './validateChanges.js';
export {
  DEFAULT_PROTECTED_PATHS,
  defaultProtectedPaths,
  isProtected,
  matchingProtectedPath,
  normalizeRepoPath,
} from './protectedPaths.js';
export { canonicalChangePath, pathTextProblem } from './changePath.js';
export { findElisionPlaceholder } from './placeholders.js';
export { isMassDeletion, linesKept, MASS_DELETION_KEEP_RATIO, MASS_DELETION_MIN_LINES } from './massDeletion.js';
