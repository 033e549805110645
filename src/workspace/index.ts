export { applyChangeSet, MANIFEST_FILE } from './applyChangeSet.js';
export type { ApplyChangeSetInput, BackupManifestEntry } from './applyChangeSet.js';
export { rollbackChangeSet } from './rollbackChangeSet.js';
export type { RollbackChangeSetInput } from './rollbackChangeSet.js';
export { sha256 } from './hash.js';
