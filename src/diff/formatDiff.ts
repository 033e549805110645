import { MAX_DIFF_BYTES, type DiffHunk, type FileDiff } from './fileDiff.js';

const NO_NEWLINE = '\\ No newline at end of file';

/** A hunk's header, as unified diffs write it. */
const hunkHeader = (hunk: DiffHunk): string => `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`;

const mib = (bytes: number | null): string => (bytes === null ? 'none' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`);

/**
 * A file's diff as text: a unified diff (`--- a/path`, `+++ b/path`, `/dev/null` for the side of a created
 * or deleted file, `@@` hunks, `\ No newline at end of file`), or one line saying why there is none.
 */
export function formatFileDiff(diff: FileDiff): string {
  const oldName = diff.status === 'created' ? '/dev/null' : `a/${diff.path}`;
  const newName = diff.status === 'deleted' ? '/dev/null' : `b/${diff.path}`;
  switch (diff.kind) {
    case 'text': {
      if (diff.hunks.length === 0 && diff.status === 'modified') return `Files ${oldName} and ${newName} are identical`;
      const lines = [`--- ${oldName}`, `+++ ${newName}`];
      for (const hunk of diff.hunks) {
        lines.push(hunkHeader(hunk));
        for (const line of hunk.lines) {
          lines.push(`${line.op}${line.text}`);
          if (line.noNewlineAtEnd === true) lines.push(NO_NEWLINE);
        }
      }
      return lines.join('\n');
    }
    case 'binary':
      return `Binary files ${oldName} and ${newName} differ`;
    case 'too-large':
      return `Files ${oldName} and ${newName} differ (${mib(diff.oldBytes)} before, ${mib(diff.newBytes)} after: over the ${mib(MAX_DIFF_BYTES)} a side that is diffed)`;
    case 'unavailable':
      return `No diff for ${diff.path}: ${diff.reason}`;
    default: {
      const unknownDiff: never = diff;
      return String(unknownDiff);
    }
  }
}
