export { openGitRepo } from './gitRepo.js';
export type { GitRepo } from './gitRepo.js';
export { headSha } from './headSha.js';
export { uncommittedPaths } from './uncommittedPaths.js';
