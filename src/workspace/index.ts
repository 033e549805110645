export { applyChangeSet } from './applyChangeSet.js';
export type { ApplyChangeSetInput, PreparedFile } from './applyChangeSet.js';
export { MANIFEST_FILE } from './backupManifest.js';
export type { BackupManifestEntry } from './backupManifest.js';
export { recoverInterruptedApply } from './recoverApply.js';
export { rollbackChangeSet } from './rollbackChangeSet.js';
export type { RollbackChangeSetInput } from './rollbackChangeSet.js';
export { sha256 } from './hash.js';
export type { WriteDurability } from './durableWrite.js';
