/** One file's pre-image, as saved before an attempt's changes are renamed into the tree. */
export interface BackupManifestEntry {
  path: string;
  existedBefore: boolean;
  beforeSha256: string | null;
  /** File name inside the backup directory, null when there was nothing to save. */
  backupFile: string | null;
  fileMode: number | null;
}

export const MANIFEST_FILE = 'manifest.json';
