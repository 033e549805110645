export { openGitRepo } from './gitRepo.js';
export type { GitRepo } from './gitRepo.js';
export { headSha } from './headSha.js';
export { uncommittedPaths } from './uncommittedPaths.js';
export { commitFiles } from './commitFiles.js';
export type { CommitRequest } from './commitFiles.js';
export { FALLBACK_IDENTITY } from './identity.js';
