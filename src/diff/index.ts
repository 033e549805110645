export { diffFile, MAX_DIFF_BYTES, MAX_DIFF_EDIT_LINES } from './fileDiff.js';
export type { BinaryDiff, DiffHunk, DiffLine, DiffOptions, FileDiff, FileStatus, TextDiff, TooLargeDiff, UnavailableDiff } from './fileDiff.js';
export { formatFileDiff } from './formatDiff.js';
export { appliedDiffs } from './appliedDiffs.js';
export type { AppliedEvent, AppliedFileDiff } from './appliedDiffs.js';
export { proposedDiffs } from './proposedDiffs.js';
