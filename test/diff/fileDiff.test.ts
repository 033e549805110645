import fc from 'fast-check';
import { applyPatch, diffArrays } from 'diff';
import { describe, expect, it } from 'vitest';
import { MAX_DIFF_BYTES, MAX_DIFF_EDIT_LINES, diffFile, formatFileDiff, type DiffHunk, type TextDiff } from '../../src/diff/index.js';

const numbered = (count: number, from = 1): string[] => Array.from({ length: count }, (_, i) => `line ${from + i}`);
const text = (lines: readonly string[]): string => lines.map((line) => `${line}\n`).join('');

function textDiff(before: string | null, after: string | null, context?: number): TextDiff {
  const diff = diffFile('src/x.txt', before, after, context === undefined ? {} : { context });
  if (diff.kind !== 'text') throw new Error(`expected a text diff, got ${diff.kind}`);
  return diff;
}

describe('diffFile and formatFileDiff', () => {
  it('shows a one-line change in a 10,000-line file as one hunk with 3 lines of context each side', () => {
    const lines = numbered(10_000);
    const changed = lines.map((line) => (line === 'line 5000' ? 'line 5000, changed' : line));
    const diff = textDiff(text(lines), text(changed));
    expect(diff.minimal).toBe(true);
    expect(diff.hunks).toEqual([
      {
        oldStart: 4997,
        oldLines: 7,
        newStart: 4997,
        newLines: 7,
        lines: [
          { op: ' ', text: 'line 4997' },
          { op: ' ', text: 'line 4998' },
          { op: ' ', text: 'line 4999' },
          { op: '-', text: 'line 5000' },
          { op: '+', text: 'line 5000, changed' },
          { op: ' ', text: 'line 5001' },
          { op: ' ', text: 'line 5002' },
          { op: ' ', text: 'line 5003' },
        ],
      },
    ]);
    expect(formatFileDiff(diff)).toBe(
      ['--- a/src/x.txt', '+++ b/src/x.txt', '@@ -4997,7 +4997,7 @@', ' line 4997', ' line 4998', ' line 4999', '-line 5000', '+line 5000, changed', ' line 5001', ' line 5002', ' line 5003'].join('\n'),
    );
  });

  it('shows a created file as all added, from /dev/null, and a deleted one as all removed, to /dev/null', () => {
    const created = textDiff(null, 'one\ntwo\n');
    expect(created.status).toBe('created');
    expect(formatFileDiff(created)).toBe(['--- /dev/null', '+++ b/src/x.txt', '@@ -0,0 +1,2 @@', '+one', '+two'].join('\n'));
    const deleted = textDiff('one\ntwo\n', null);
    expect(deleted.status).toBe('deleted');
    expect(formatFileDiff(deleted)).toBe(['--- a/src/x.txt', '+++ /dev/null', '@@ -1,2 +0,0 @@', '-one', '-two'].join('\n'));
    // An empty new file has no hunk, only its headers.
    expect(formatFileDiff(textDiff(null, ''))).toBe('--- /dev/null\n+++ b/src/x.txt');
  });

  it('marks a last line without a newline, and a newline added or taken away at the end', () => {
    expect(formatFileDiff(textDiff('a\nb', 'a\nc'))).toBe(
      ['--- a/src/x.txt', '+++ b/src/x.txt', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+c', '\\ No newline at end of file'].join('\n'),
    );
    expect(formatFileDiff(textDiff('a\nb\n', 'a\nb'))).toBe(['--- a/src/x.txt', '+++ b/src/x.txt', '@@ -1,2 +1,2 @@', ' a', '-b', '+b', '\\ No newline at end of file'].join('\n'));
    expect(textDiff('a\nb', 'a\nb\n').hunks[0]?.lines).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b', noNewlineAtEnd: true },
      { op: '+', text: 'b' },
    ]);
  });

  it('shows `context` lines around each change and joins hunks closer than twice that', () => {
    const lines = numbered(30);
    // Lines 10 and 17 changed, six unchanged lines between them: joined by 3 lines of context, not by 2.
    const changed = lines.map((line) => (line === 'line 10' || line === 'line 17' ? `${line}!` : line));
    const headers = (context: number) => textDiff(text(lines), text(changed), context).hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]);
    expect(headers(3)).toEqual([[7, 14, 7, 14]]);
    expect(headers(2)).toEqual([
      [8, 5, 8, 5],
      [15, 5, 15, 5],
    ]);
    expect(headers(0)).toEqual([
      [10, 1, 10, 1],
      [17, 1, 17, 1],
    ]);
    // With no context, a pure insertion is numbered by the line before it, as diff and git do.
    expect(textDiff('a\nb\n', 'a\nnew\nb\n', 0).hunks).toEqual([{ oldStart: 1, oldLines: 0, newStart: 2, newLines: 1, lines: [{ op: '+', text: 'new' }] }]);
  });

  it('says when both sides are the same, and summarises binary and oversized files by their sizes', () => {
    expect(formatFileDiff(textDiff('same\n', 'same\n'))).toBe('Files a/src/x.txt and b/src/x.txt are identical');
    const binary = diffFile('logo.png', 'PNG\0\x01', 'PNG\0\x02');
    expect(binary).toEqual({ kind: 'binary', path: 'logo.png', status: 'modified', oldBytes: 5, newBytes: 5 });
    expect(formatFileDiff(binary)).toBe('Binary files a/logo.png and b/logo.png differ');
    const huge = 'x'.repeat(MAX_DIFF_BYTES + 1);
    const tooLarge = diffFile('big.txt', null, huge);
    expect(tooLarge).toEqual({ kind: 'too-large', path: 'big.txt', status: 'created', oldBytes: null, newBytes: MAX_DIFF_BYTES + 1 });
    expect(formatFileDiff(tooLarge)).toBe('Files /dev/null and b/big.txt differ (none before, 1.0 MiB after: over the 1.0 MiB a side that is diffed)');
    expect(diffFile('big.txt', 'x'.repeat(MAX_DIFF_BYTES), 'y').kind).toBe('text');
  });

  it('shows a rewrite of more than MAX_DIFF_EDIT_LINES lines as one replaced block between the unchanged head and tail', () => {
    const half = MAX_DIFF_EDIT_LINES / 2 + 1;
    const before = text(['head', ...numbered(half, 1), 'tail']);
    const after = text(['head', ...numbered(half, 10_001), 'tail']);
    const diff = textDiff(before, after);
    expect(diff.minimal).toBe(false);
    expect(diff.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([[1, half + 2, 1, half + 2]]);
    expect(diff.hunks[0]?.lines.map((l) => l.op).join('')).toBe(` ${'-'.repeat(half)}${'+'.repeat(half)} `);
    expect(applyPatch(before, formatFileDiff(diff))).toBe(after);
  });

  it('always gives a diff that patches before into after, minimal, with headers that count their lines (property)', () => {
    // Few distinct lines, so that matches, moves and repeats are common; a last newline or not.
    const side = fc.option(
      fc.tuple(fc.array(fc.constantFrom('a', 'b', 'c', '', 'd d'), { maxLength: 14 }), fc.boolean()).map(([lines, newline]) => lines.join('\n') + (newline && lines.length > 0 ? '\n' : '')),
      { nil: null },
    );
    fc.assert(
      fc.property(side, side, fc.integer({ min: 0, max: 4 }), (before, after, context) => {
        const diff = textDiff(before, after, context);
        const counted = (hunk: DiffHunk) => [hunk.lines.filter((l) => l.op !== '+').length, hunk.lines.filter((l) => l.op !== '-').length];
        for (const hunk of diff.hunks) expect(counted(hunk)).toEqual([hunk.oldLines, hunk.newLines]);
        if ((before ?? '') === (after ?? '')) {
          expect(diff.hunks).toEqual([]);
          return;
        }
        expect(applyPatch(before ?? '', formatFileDiff(diff))).toBe(after ?? '');
        // As few changed lines as Myers' algorithm finds on the same lines.
        const lines = (t: string | null) => (t ?? '').split(/(?<=\n)/).filter((l) => l !== '');
        const minimal = diffArrays(lines(before), lines(after)).filter((c) => c.added || c.removed).reduce((n, c) => n + c.value.length, 0);
        expect(diff.hunks.flatMap((h) => h.lines).filter((l) => l.op !== ' ').length).toBe(minimal);
        // Each hunk starts and ends with at most `context` unchanged lines.
        for (const hunk of diff.hunks) {
          const ops = hunk.lines.map((l) => l.op).join('');
          expect(ops.length - ops.trimStart().length).toBeLessThanOrEqual(context);
          expect(ops.length - ops.trimEnd().length).toBeLessThanOrEqual(context);
        }
      }),
      { numRuns: 400 },
    );
  });
});
