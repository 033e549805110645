/**
 * One file of an apply, as the run logs it (`changes.prepared`) before anything is staged or replaced:
 * its sha256 before (null: it did not exist) and after (null: it is deleted).
 */
export interface PreparedFile {
  path: string;
  beforeSha256: string | null;
  afterSha256: string | null;
}
