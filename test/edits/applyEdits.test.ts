import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEdits, type EditsOutcome } from '../../src/edits/index.js';
import type { SearchReplace } from '../../src/model/fileChange.js';

const LABEL = 'files[0] "src/a.ts"';
const edit = (search: string, replace: string): SearchReplace => ({ search, replace });

/** The new content, failing the test with the errors when the edits were refused. */
function applied(content: string, edits: readonly SearchReplace[]): string {
  const outcome = applyEdits(content, edits, LABEL);
  if (!outcome.ok) expect.fail(`expected the edits to apply, got:\n${outcome.errors.join('\n')}`);
  return outcome.content;
}

/** The errors, failing the test when the edits applied. */
function refused(content: string, edits: readonly SearchReplace[]): string[] {
  const outcome = applyEdits(content, edits, LABEL);
  if (outcome.ok) expect.fail(`expected the edits to be refused, got:\n${outcome.content}`);
  expect(outcome).not.toHaveProperty('content');
  return outcome.errors;
}

/** `count` distinct lines, "line 1" to "line <count>", each ended by \n. */
const numbered = (count: number, line = (n: number) => `line ${n}`): string =>
  Array.from({ length: count }, (_, i) => `${line(i + 1)}\n`).join('');

describe('applyEdits: where a search matches', () => {
  it('replaces the run of whole lines the search equals, and says where it matched', () => {
    const outcome = applyEdits('a\nb\nc\nd\n', [edit('b\nc\n', 'B\n')], LABEL);
    expect(outcome).toEqual({ ok: true, content: 'a\nB\nd\n', matches: [{ index: 0, startLine: 2, endLine: 3, how: 'exact' }] });
  });

  it('matches every search against the original content, not the result of earlier edits', () => {
    // Applied one after the other, the second search would see two "b" lines (or the first edit's output).
    expect(applied('a\nb\n', [edit('a', 'b'), edit('b', 'c')])).toBe('b\nc\n');
    const errors = refused('a\nb\n', [edit('a', 'x'), edit('x', 'y')]);
    expect(errors).toEqual([expect.stringMatching(/^edits\[1\] of files\[0\] "src\/a.ts": the search was not found/)]);
  });

  it('says so when a search that matches nowhere is in another edit\'s replacement', () => {
    const [error] = refused('one\ntwo\n', [edit('one', 'uno'), edit('uno', 'eins')]);
    expect(error).toContain('it is in the replacement of edits[0], but every search is matched against the file as it was before any edit');
  });

  it('matches whole lines only: part of a line is not found', () => {
    const [error] = refused('const x = 1;\n', [edit('x = 1', 'x = 2')]);
    expect(error).toContain('the search was not found');
  });

  it('takes a search with or without its final newline, and with \\r\\n or \\n line breaks', () => {
    for (const search of ['b', 'b\n', 'b\r\n']) expect(applied('a\nb\nc\n', [edit(search, 'B\n')])).toBe('a\nB\nc\n');
    expect(applied('a\nb\nc\n', [edit('a\r\nb', 'x')])).toBe('x\nc\n');
  });

  it('applies edits given in any order, each where its search matched', () => {
    const outcome = applyEdits('a\nb\nc\nd\n', [edit('d', 'D'), edit('a', 'A')], LABEL);
    expect(outcome).toMatchObject({ ok: true, content: 'A\nb\nc\nD\n' });
    expect(outcome.ok && outcome.matches.map((m) => [m.index, m.startLine])).toEqual([[0, 4], [1, 1]]);
  });

  it('accepts edits whose matches touch without overlapping', () => {
    expect(applied('a\nb\nc\n', [edit('a\nb', 'x'), edit('c', 'y')])).toBe('x\ny\n');
  });
});

describe('applyEdits: the matching tiers', () => {
  it('ignores trailing spaces, tabs and carriage returns when nothing matches exactly, writing the replacement as given', () => {
    const outcome = applyEdits('a  \nb\t\nc\r\r\n', [edit('a\nb \nc', 'x  ')], LABEL);
    expect(outcome).toEqual({ ok: true, content: 'x  \n', matches: [{ index: 0, startLine: 1, endLine: 3, how: 'trailing-whitespace' }] });
  });

  it('tolerates a lone \\r at the end of the last line', () => {
    expect(applyEdits('a\nb\r', [edit('b', 'c')], LABEL)).toMatchObject({ ok: true, content: 'a\nc', matches: [{ how: 'trailing-whitespace' }] });
  });

  it('does not forgive whitespace inside a line', () => {
    expect(refused('a b\n', [edit('a  b', 'x')])[0]).toContain('not found');
  });

  it('lets one exact match decide even when more places match ignoring whitespace', () => {
    const outcome = applyEdits('x \nx\n  x\n', [edit('x', 'y')], LABEL);
    expect(outcome).toEqual({ ok: true, content: 'x \ny\n  x\n', matches: [{ index: 0, startLine: 2, endLine: 2, how: 'exact' }] });
  });

  it('matches a search written without indentation to a block indented by 4 spaces, re-indenting the replacement', () => {
    const file = 'class A {\n    f() {\n        return 1;\n    }\n}\n';
    const outcome = applyEdits(file, [edit('f() {\n    return 1;\n}\n', 'f() {\n    return 2;\n}\n\ng() {}\n')], LABEL);
    expect(outcome).toEqual({
      ok: true,
      content: 'class A {\n    f() {\n        return 2;\n    }\n\n    g() {}\n}\n',
      matches: [{ index: 0, startLine: 2, endLine: 4, how: 'indentation' }],
    });
  });

  it('removes from the replacement the indentation a search has in excess, as much as each line has', () => {
    const file = 'if (x) {\n  go();\n}\n';
    const outcome = applyEdits(file, [edit('\t\t  go();', '\t\t  stop();\n\t\t  go();\n\tback();\nflush();')], LABEL);
    expect(outcome).toMatchObject({ ok: true, content: 'if (x) {\n  stop();\n  go();\nback();\nflush();\n}\n', matches: [{ how: 'indentation' }] });
  });

  it('matches blank lines to blank lines in the indentation tier, and leaves blank replacement lines alone', () => {
    const file = 'x\n    a\n   \n    b\n';
    expect(applied(file, [edit('a\n\nb', 'a\n  \nb2')])).toBe('x\n    a\n  \n    b2\n');
    expect(refused(file, [edit('a\nz\nb', 'y')])[0]).toContain('not found');
  });

  it('refuses an indentation difference that is not the same on every line, saying so', () => {
    const [error] = refused('x\n  a\n    b\n', [edit('a\nb', 'c')]);
    expect(error).toContain('The most similar lines of the file are lines 2-3');
    expect(error).toContain('and not by one prefix added to or removed from every line');
  });

  it('does not equate a tab with spaces', () => {
    expect(refused('\tf();\n', [edit('    f();', 'g();')])[0]).toContain('not found');
    expect(applied('\tf();\n', [edit('f();', 'g();')])).toBe('\tg();\n');
  });

  it('counts an indentation-tier search that matches several blocks as matching several places', () => {
    const [error] = refused('  a\n  b\n    a\n    b\n', [edit('a\nb', 'c')]);
    expect(error).toBe(
      'edits[0] of files[0] "src/a.ts": the search matches 2 places ignoring indentation (lines 1-2 and 3-4); include more surrounding lines so that it matches one',
    );
  });
});

describe('applyEdits: refusals and their feedback', () => {
  it('refuses a search found more than once, giving the line of each place', () => {
    const lines = Array.from({ length: 80 }, (_, i) => ([10, 40, 77].includes(i + 1) ? 'x();' : `line ${i + 1}`));
    const errors = refused(`${lines.join('\n')}\n`, [edit('line 1', 'first'), edit('x();\n', 'y();\n')]);
    expect(errors).toEqual([
      'edits[1] of files[0] "src/a.ts": the search matches 3 places (lines 10, 40 and 77); include more surrounding lines so that it matches one',
    ]);
  });

  it('gives the range of each place for a search of several lines, and lists at most ten', () => {
    const [error] = refused('a\nb\n'.repeat(12), [edit('a\nb', 'c')]);
    expect(error).toContain('matches 12 places (lines 1-2, 3-4, 5-6, 7-8, 9-10, 11-12, 13-14, 15-16, 17-18, 19-20 and 2 more)');
  });

  it('refuses a search found nowhere, quoting the most similar lines of the file with their numbers', () => {
    const file = "import { x } from './x.js';\n\nexport function add(a, b) {\n  return a + b;\n}\n\nexport function sub(a, b) {\n  return a - b;\n}\n";
    const errors = refused(file, [edit("import { x } from './x.js';", "import { x, y } from './x.js';"), edit('export function add(a, b) {\n  return a+b;\n}\n', 'x')]);
    expect(errors).toEqual([
      'edits[1] of files[0] "src/a.ts": the search was not found in the file, even ignoring trailing whitespace and indentation. ' +
        'The most similar lines of the file are lines 3-5 (line 4 of the file is "  return a + b;", where the search has "  return a+b;"):\n' +
        '```\nexport function add(a, b) {\n  return a + b;\n}\n```\n' +
        'Copy the search from the file as it is now: whole lines, each exactly as written there.',
    ]);
  });

  it('finds the most similar lines when the search has a line too many or too few', () => {
    const parse = [
      'function parse(input) {',
      '  const tokens = tokenize(input);',
      '  if (tokens.length === 0) return null;',
      '  const tree = buildTree(tokens);',
      '  validate(tree);',
      '  return tree;',
      '}',
    ];
    const file = numbered(10, (n) => `let filler${n} = ${n};`) + parse.join('\n') + '\n';
    const extra = [parse[1], '  // skip empty input', parse[2], parse[3]].join('\n');
    const [tooMany] = refused(file, [edit(extra, 'x')]);
    expect(tooMany).toMatch(/The most similar lines of the file are lines (11-14|12-15) /);
    expect(tooMany).toContain([parse[1], parse[2], parse[3]].join('\n'));
    const fewer = [parse[1], parse[3], parse[4]].join('\n');
    const [tooFew] = refused(file, [edit(fewer, 'x')]);
    expect(tooFew).toMatch(/The most similar lines of the file are lines (12-14|13-15) /);
    expect(tooFew).toContain([parse[2], parse[3]].join('\n'));
  });

  it('finds the most similar lines when every line of the search has a typo', () => {
    const file = numbered(200, (n) => `    total += weights[${n}] * values[${n}];`);
    const typos = '    totl += weights[150] * values[150];\n    total += weight[151] * values[151];\n';
    const [error] = refused(file, [edit(typos, 'x')]);
    expect(error).toContain('lines 150-151 (line 150 of the file is "    total += weights[150] * values[150];", where the search has "    totl += weights[150] * values[150];")');
  });

  it('says when no part of the file resembles the search, and when the file is empty', () => {
    expect(refused('alpha\nbeta\n', [edit('zzzz qqqq', 'x')])).toEqual([
      'edits[0] of files[0] "src/a.ts": the search was not found in the file, even ignoring trailing whitespace and indentation; ' +
        'no part of the file resembles it: check that this is the file you mean, and copy the search from its current content',
    ]);
    expect(refused('', [edit('a', 'b')])[0]).toContain('the file is empty (to write it, use mode "modify" with new_content)');
  });

  it('says line, not lines, for a search of one line', () => {
    const [error] = refused('const a = 1;\nconst b = 2;\n', [edit('const b = 3;', 'x')]);
    expect(error).toContain('The most similar line of the file is line 2 (line 2 of the file is "const b = 2;", where the search has "const b = 3;"):\n```\nconst b = 2;\n```\n');
  });

  it('quotes lines that hold backticks inside a longer fence', () => {
    const [error] = refused('text\n```ts\ncode();\n```\n', [edit('```ts\ncode(1);\n```', 'x')]);
    expect(error).toContain('\n````\n```ts\ncode();\n```\n````\n');
  });

  it.each([
    ['an empty search', ''],
    ['a search of blank lines', '\n  \n\t\n'],
  ])('refuses %s, pointing to a whole-file mode', (_name, search) => {
    expect(refused('a\n', [edit(search, 'b')])).toEqual([
      'edits[0] of files[0] "src/a.ts": the search is empty or only whitespace, so it says nothing about where to edit; ' +
        'copy the lines to replace from the file into search (to write a whole file, use mode "modify" with new_content)',
    ]);
  });

  it('refuses a change with no edits', () => {
    expect(refused('a\n', [])).toEqual(['files[0] "src/a.ts": mode "edit" needs at least one edit in edits (a search and its replace)']);
  });

  it('refuses two edits whose matches overlap, naming both and their lines', () => {
    const file = numbered(10);
    expect(refused(file, [edit('line 3\nline 4\nline 5', 'x'), edit('line 1', 'y'), edit('line 5\nline 6', 'z')])).toEqual([
      'edits[0] and edits[2] of files[0] "src/a.ts": their searches overlap (lines 3-5 and 5-6); every search is matched against ' +
        'the file as it was before any edit, so merge the two into one edit',
    ]);
    expect(refused(file, [edit('line 2\nline 3\nline 4', 'x'), edit('line 3', 'y')])[0]).toMatch(/^edits\[0\] and edits\[1\] .*\(lines 2-4 and 3\)/);
  });

  it('refuses all or nothing, with one error for each failing edit', () => {
    const file = numbered(5);
    const errors = refused(file, [edit('nope', 'x'), edit('line 2', 'two'), edit('', 'y'), edit('line 4', 'four'), edit('line 9', 'z')]);
    expect(errors.map((error) => /^edits\[(\d)\]/.exec(error)?.[1])).toEqual(['0', '2', '4']);
  });
});

describe('applyEdits: line endings and the final newline', () => {
  it('writes the replacement with CRLF in a CRLF file, whatever the model sent', () => {
    expect(applied('a\r\nb\r\nc\r\n', [edit('b\n', 'x\ny\n')])).toBe('a\r\nx\r\ny\r\nc\r\n');
    expect(applied('a\r\nb\r\nc\r\n', [edit('b\r\n', 'x\r\ny\r\n')])).toBe('a\r\nx\r\ny\r\nc\r\n');
    expect(applied('a\nb\nc\n', [edit('b\r\n', 'x\r\ny\r\n')])).toBe('a\nx\ny\nc\n');
  });

  it('keeps the bytes of untouched lines in a file with mixed line endings, using the commoner ending for new lines', () => {
    expect(applied('a\nb\r\nc\r\nd\r\n', [edit('c', 'x\ny')])).toBe('a\nb\r\nx\r\ny\r\nd\r\n');
    expect(applied('a\nb\nc\r\nd\n', [edit('b', 'x\ny')])).toBe('a\nx\ny\nc\r\nd\n');
  });

  it('keeps the final newline, present or absent, when the last line is not edited', () => {
    expect(applied('a\nb\n', [edit('a', 'x\n')])).toBe('x\nb\n');
    expect(applied('a\nb', [edit('a\n', 'x')])).toBe('x\nb');
  });

  it('keeps the final newline when an edit of the last line agrees with its search about ending with one', () => {
    expect(applied('a\nb\n', [edit('b', 'x')])).toBe('a\nx\n');
    expect(applied('a\nb\n', [edit('b', 'x\ny')])).toBe('a\nx\ny\n');
    expect(applied('a\nb', [edit('b\n', 'x\n')])).toBe('a\nx');
  });

  it('follows the replacement when an edit of the last line adds or removes the final newline', () => {
    expect(applied('a\nb', [edit('b', 'x\n')])).toBe('a\nx\n');
    expect(applied('a\r\nb', [edit('b', 'x\n')])).toBe('a\r\nx\r\n');
    expect(applied('a\nb\n', [edit('b\n', 'x')])).toBe('a\nx');
  });

  it('keeps the final newline as it was when the last lines are deleted', () => {
    expect(applied('a\nb\nc\n', [edit('c\n', '')])).toBe('a\nb\n');
    expect(applied('a\nb\nc', [edit('c', '')])).toBe('a\nb');
    expect(applied('a\r\nb\r\nc', [edit('b\nc', '')])).toBe('a');
  });
});

describe('applyEdits: an empty replacement', () => {
  it('deletes the matched lines', () => {
    expect(applyEdits('a\nb\nc\nd\n', [edit('b\nc\n', '')], LABEL)).toEqual({
      ok: true,
      content: 'a\nd\n',
      matches: [{ index: 0, startLine: 2, endLine: 3, how: 'exact' }],
    });
  });

  it('can delete every line, leaving an empty file', () => {
    expect(applied('a\nb\n', [edit('a\nb\n', '')])).toBe('');
  });

  it('deletes in the indentation tier too', () => {
    expect(applied('{\n  a\n  b\n}\n', [edit('a', '')])).toBe('{\n  b\n}\n');
  });
});

// Sizes that a quadratic matcher could not finish in the test's timeout; how fast it is belongs in `npm run bench`, not here.
describe('applyEdits: large files', () => {
  const big = numbered(50_000, (n) => `  const value${n} = compute(${n}); // line ${n}`);

  it('applies one edit to a 50,000-line file', () => {
    const outcome = applyEdits(big, [edit('const value49000 = compute(49000); // line 49000', 'changed();')], LABEL);
    expect(outcome.ok && outcome.matches).toEqual([{ index: 0, startLine: 49_000, endLine: 49_000, how: 'indentation' }]);
  });

  it('matches among 50,000 identical lines', () => {
    const outcome = applyEdits(`${'}\n'.repeat(50_000)}end\n`, [edit('}\n}\nend', 'x')], LABEL);
    expect(outcome.ok && outcome.matches).toEqual([{ index: 0, startLine: 49_999, endLine: 50_001, how: 'exact' }]);
  });

  it('quotes the most similar lines of a 50,000-line file', () => {
    const search = Array.from({ length: 150 }, (_, i) => `  const value${30_000 + i} = compute(${30_000 + i}) // line ${30_000 + i}`).join('\n');
    const [error] = refused(big, [edit(search, 'x')]);
    expect(error).toContain('The most similar lines of the file are lines 30000-30149');
  });
});

/** A file of distinct lines: each starts (after its indentation) with "#<number>:". */
const lineText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '{', '}', '`', '.'), maxLength: 6 });
const fileArbitrary = fc.record({
  lines: fc.array(fc.tuple(fc.constantFrom('', '  ', '\t'), lineText), { minLength: 1, maxLength: 25 }),
  eol: fc.constantFrom('\n', '\r\n'),
  finalNewline: fc.boolean(),
});

interface PlannedEdit {
  start: number;
  end: number;
  replacement: string[];
  searchNewline: boolean;
  replaceNewline: boolean;
  searchBreak: string;
}

/** Cuts lines [0, count) at distinct points and keeps some of the runs between them: non-overlapping, maybe adjacent. */
const plannedEdits = (count: number, first = 0): fc.Arbitrary<PlannedEdit[]> =>
  fc
    .uniqueArray(fc.integer({ min: first, max: first + count }), { minLength: 2, maxLength: 8 })
    .map((cuts) => cuts.sort((a, b) => a - b))
    .chain((cuts) =>
      fc.tuple(
        ...cuts.slice(1).map((end, i) =>
          fc.record({
            chosen: fc.boolean(),
            start: fc.constant(cuts[i] as number),
            end: fc.constant(end),
            replacement: fc.array(lineText, { maxLength: 3 }),
            searchNewline: fc.boolean(),
            replaceNewline: fc.boolean(),
            searchBreak: fc.constantFrom('\n', '\r\n'),
          }),
        ),
      ),
    )
    .map((runs) => runs.filter((run) => run.chosen))
    .filter((runs) => runs.length > 0)
    .chain((runs) => fc.shuffledSubarray(runs, { minLength: runs.length }));

/** One empty line (or a last one) without a final newline would read as no line: such a replacement ends with one. */
const replaceEndsWithNewline = ({ replacement, replaceNewline }: PlannedEdit): boolean =>
  replacement.length > 0 && (replaceNewline || replacement[replacement.length - 1] === '');

function toEdit(texts: readonly string[], planned: PlannedEdit): SearchReplace {
  const { start, end, replacement, searchNewline, searchBreak } = planned;
  return {
    search: texts.slice(start, end).join(searchBreak) + (searchNewline ? searchBreak : ''),
    replace: replacement.join('\n') + (replaceEndsWithNewline(planned) ? '\n' : ''),
  };
}

/**
 * The obvious implementation: sort the ranges, splice in the replacement lines, join with the file's ending.
 * The final newline stays, unless an edit of the last line with replacement lines disagrees with its search about it.
 */
function referenceSplice(texts: readonly string[], eol: string, finalNewline: boolean, planned: readonly PlannedEdit[]): string {
  const sorted = [...planned].sort((a, b) => a.start - b.start);
  const out: string[] = [];
  let next = 0;
  for (const { start, end, replacement } of sorted) {
    out.push(...texts.slice(next, start), ...replacement);
    next = end;
  }
  out.push(...texts.slice(next));
  const last = sorted.find((p) => p.end === texts.length);
  const endsWithNewline =
    last !== undefined && last.replacement.length > 0 && last.searchNewline !== replaceEndsWithNewline(last) ? replaceEndsWithNewline(last) : finalNewline;
  return out.length === 0 ? '' : out.join(eol) + (endsWithNewline ? eol : '');
}

describe('applyEdits: properties', () => {
  it('equals a plain splice of the matched lines for any unique, non-overlapping searches (property)', () => {
    fc.assert(
      fc.property(
        fileArbitrary.chain((file) => fc.tuple(fc.constant(file), plannedEdits(file.lines.length))),
        ([{ lines, eol, finalNewline }, planned]) => {
          const texts = lines.map(([indent, text], i) => `${indent}#${i}:${text}`);
          const content = texts.join(eol) + (finalNewline ? eol : '');
          const outcome: EditsOutcome = applyEdits(content, planned.map((p) => toEdit(texts, p)), LABEL);
          expect(outcome).toEqual({
            ok: true,
            // A file without a line break says nothing of its line ending: new lines get \n.
            content: referenceSplice(texts, content.includes('\n') ? eol : '\n', finalNewline, planned),
            matches: planned.map((p, index) => ({ index, startLine: p.start + 1, endLine: p.end, how: 'exact' })),
          });
        },
      ),
    );
  });

  it('returns no content, and one error naming each failing edit, when any search is absent or found twice (property)', () => {
    const failing = fc.constantFrom(edit('dup', 'x'), edit('#absent', 'x'), edit('dup\ndup', 'x'));
    fc.assert(
      fc.property(
        fileArbitrary.chain((file) =>
          fc.tuple(
            fc.constant(file),
            plannedEdits(file.lines.length, 1),
            fc.array(fc.tuple(failing, fc.nat()), { minLength: 1, maxLength: 3 }),
          ),
        ),
        ([{ lines, eol, finalNewline }, planned, failures]) => {
          // "dup" is the first and the last line; the valid edits keep to the numbered lines between.
          const texts = ['dup', ...lines.map(([indent, text], i) => `${indent}#${i}:${text}`), 'dup'];
          const content = texts.join(eol) + (finalNewline ? eol : '');
          const edits: (SearchReplace & { fails?: true })[] = planned.map((p) => toEdit(texts, p));
          for (const [bad, at] of failures) edits.splice(at % (edits.length + 1), 0, { ...bad, fails: true });
          const outcome = applyEdits(content, edits.map(({ search, replace }) => ({ search, replace })), LABEL);
          expect(outcome.ok).toBe(false);
          expect(outcome).not.toHaveProperty('content');
          const named = outcome.ok ? [] : outcome.errors.map((error) => Number(/^edits\[(\d+)\] of /.exec(error)?.[1]));
          expect(named).toEqual(edits.flatMap((e, index) => (e.fails ? [index] : [])));
        },
      ),
    );
  });
});
