import { describe, expect, it } from 'vitest';
import { parseModelResponse, type ParseOutcome } from '../../src/llm/parseModelResponse.js';
import { NO_SUMMARY, parseMarkdownAnswer, pathFromLine } from '../../src/llm/parseMarkdownAnswer.js';
import type { LLMResponse } from '../../src/llm/types.js';

const reply = (content: string, finishReason = 'stop'): LLMResponse => ({ content, finishReason, usage: { promptTokens: 1, completionTokens: 1 } });
const answer = (...lines: string[]): string => lines.join('\n');
const F = '```';

function parsed(content: string, options: Parameters<typeof parseModelResponse>[1] = {}): Extract<ParseOutcome, { ok: true }> {
  const outcome = parseModelResponse(reply(content), options);
  if (!outcome.ok) throw new Error(`expected an answer, got ${outcome.code}: ${outcome.errors.join('; ')}`);
  return outcome;
}

describe('markdown answers: whole files', () => {
  it('reads several files with prose between them, in order, the summary from the prose before the first', () => {
    const content = answer(
      "I'll add a `slugify` helper and use it in the router. The helper",
      'lower-cases and replaces runs of non-alphanumerics with a dash.',
      '',
      'Some more detail nobody needs.',
      '',
      '**src/util/slugify.ts**',
      `${F}typescript`,
      'export function slugify(text: string): string {',
      "  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');",
      '}',
      F,
      '',
      'Then the router imports it:',
      '',
      '### `src/router.ts`',
      '',
      `${F}ts`,
      "import { slugify } from './util/slugify.js';",
      '',
      'export const route = (title: string) => `/posts/${slugify(title)}`;',
      F,
      '',
      'Run the tests with:',
      `${F}bash`,
      'npm test',
      F,
      '',
      'Let me know if you want changes!',
    );
    const { value, format } = parsed(content);
    expect(format).toBe('markdown');
    expect(value.summary).toBe(
      "I'll add a `slugify` helper and use it in the router. The helper lower-cases and replaces runs of non-alphanumerics with a dash.",
    );
    expect(value.files).toEqual([
      {
        path: 'src/util/slugify.ts',
        mode: 'create',
        new_content: "export function slugify(text: string): string {\n  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');\n}\n",
      },
      {
        path: 'src/router.ts',
        mode: 'create',
        new_content: "import { slugify } from './util/slugify.js';\n\nexport const route = (title: string) => `/posts/${slugify(title)}`;\n",
      },
    ]);
  });

  it.each([
    ['src/a.ts'],
    ['`src/a.ts`'],
    ['**src/a.ts**'],
    ['**`src/a.ts`**'],
    ['`**src/a.ts**`'],
    ['### src/a.ts'],
    ['#### `src/a.ts`'],
    ['File: src/a.ts'],
    ['**File:** `src/a.ts`'],
    ['**File: src/a.ts**'],
    ['filename: src/a.ts'],
    ['Path: src/a.ts'],
    ['- `src/a.ts`:'],
    ['1. **src/a.ts** (new file)'],
    ['src/a.ts:'],
    ['Here is the updated `src/a.ts`:'],
    ['  **src/a.ts**  '],
  ])('reads the path line %j', (line) => {
    expect(pathFromLine(line)).toBe('src/a.ts');
    const { value } = parsed(answer(line, `${F}ts`, 'export const a = 1;', F));
    expect(value.files).toEqual([{ path: 'src/a.ts', mode: 'create', new_content: 'export const a = 1;\n' }]);
  });

  it.each([
    ['### Example'],
    ['**Summary**'],
    ['Run this:'],
    ['Done.'],
    ['Version 1.2.3'],
    ['1.2.3'],
    ['Update `src/a.ts` and `src/b.ts`:'],
    ['Use `npm test`:'],
    ['See https://example.com/a.ts'],
    ['File: see below'],
  ])('does not read %j as a path line', (line) => {
    expect(pathFromLine(line)).toBeNull();
  });

  it('reads a bare name only after a label', () => {
    expect(pathFromLine('File: Makefile')).toBe('Makefile');
    expect(pathFromLine('**Makefile**')).toBeNull();
    expect(pathFromLine('.gitignore')).toBe('.gitignore');
  });

  it('makes a whole file modify when exists says the file is there, create otherwise or without the hook', () => {
    const content = answer('src/old.ts', F, 'old', F, 'src/new.ts', F, 'new', F);
    expect(parsed(content, { exists: (path) => path === 'src/old.ts' }).value.files.map((f) => f.mode)).toEqual(['modify', 'create']);
    expect(parsed(content).value.files.map((f) => f.mode)).toEqual(['create', 'create']);
  });

  it('gives paths their canonical spelling and asks exists about that spelling', () => {
    const asked: string[] = [];
    const { value } = parsed(answer('`./src/../lib/x.ts`', F, 'x', F), { exists: (path) => (asked.push(path), false) });
    expect(value.files[0]?.path).toBe('lib/x.ts');
    expect(asked).toEqual(['lib/x.ts']);
  });

  it('keeps a file holding ``` whole inside a longer fence', () => {
    const readme = ['# Tool', '', '```bash', 'npm install tool', '```', '', '~~~', 'tilde block', '~~~'];
    const { value } = parsed(answer('Docs:', '', '**README.md**', '````markdown', ...readme, '````', '', 'Done.'));
    expect(value.files).toEqual([{ path: 'README.md', mode: 'create', new_content: `${readme.join('\n')}\n` }]);
  });

  it('keeps nested blocks that open with a language inside a fence of the same length', () => {
    const readme = ['# Tool', '', '```bash', 'npm install tool', '```', '', '```ts', "import tool from 'tool';", '```'];
    const { value } = parsed(answer('**README.md**', `${F}markdown`, ...readme, F, '', '`src/a.ts`', F, 'a', F));
    expect(value.files).toEqual([
      { path: 'README.md', mode: 'create', new_content: `${readme.join('\n')}\n` },
      { path: 'src/a.ts', mode: 'create', new_content: 'a\n' },
    ]);
  });

  it('closes at the first bare fence when the nested reading finds no end (CommonMark)', () => {
    const { value } = parsed(answer('**notes.md**', F, 'intro', '```ts', 'code', F, 'trailing prose'));
    expect(value.files).toEqual([{ path: 'notes.md', mode: 'create', new_content: 'intro\n```ts\ncode\n' }]);
  });

  it('reads Windows line endings as \\n', () => {
    const { value } = parsed(answer('Adds a.', '', '**src/a.ts**', `${F}ts`, 'line 1', 'line 2', F, '').replace(/\n/g, '\r\n'));
    expect(value).toEqual({ summary: 'Adds a.', files: [{ path: 'src/a.ts', mode: 'create', new_content: 'line 1\nline 2\n' }] });
  });

  it('strips the indentation of a fence in a list item from its lines', () => {
    const { value } = parsed(answer('1. **src/a.ts**', '', `   ${F}ts`, '   if (x) {', '     y();', '   }', `   ${F}`));
    expect(value.files[0]?.new_content).toBe('if (x) {\n  y();\n}\n');
  });

  it('refuses a whole file whose fence is never closed: the answer may be cut off', () => {
    const outcome = parseModelResponse(reply(answer('Adding two files.', '', '**src/a.ts**', F, 'a', F, '**src/b.ts**', `${F}ts`, 'export function b() {', '  return 1;')));
    expect(outcome).toMatchObject({ ok: false, code: 'LLM_TRUNCATED' });
    if (!outcome.ok) expect(outcome.errors[0]).toMatch(/block for src\/b\.ts \(line 8\) has no closing fence.*may be cut off.*send the complete file/);
  });

  it('uses a default summary when no prose comes first, and caps a long one', () => {
    expect(parsed(answer('src/a.ts', F, 'a', F)).value.summary).toBe(NO_SUMMARY);
    const long = parsed(answer('x'.repeat(1000), '', 'src/a.ts', F, 'a', F)).value.summary;
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('has no way to delete a file: an empty block writes an empty file', () => {
    expect(parsed(answer('src/a.ts', F, F)).value.files).toEqual([{ path: 'src/a.ts', mode: 'create', new_content: '' }]);
  });
});

describe('markdown answers: SEARCH/REPLACE edit blocks', () => {
  it('merges the blocks for one file into one edit change, files in order of first appearance', () => {
    const content = answer(
      'Rename `count` to `total` and log it.',
      '',
      'src/stats.ts',
      `${F}ts`,
      '<<<<<<< SEARCH',
      'let count = 0;',
      '=======',
      'let total = 0;',
      '>>>>>>> REPLACE',
      F,
      '',
      'And in the caller:',
      '',
      '`src/main.ts`',
      `${F}ts`,
      '<<<<<<< SEARCH',
      'console.log(count);',
      '=======',
      'console.log(total);',
      '>>>>>>> REPLACE',
      F,
      '',
      'Back in the first file, two more:',
      '',
      '**src/stats.ts**',
      `${F}ts`,
      '<<<<<<< SEARCH',
      '  count += 1;',
      '=======',
      '  total += 1;',
      '>>>>>>> REPLACE',
      '',
      '<<<<<<< SEARCH',
      'export { count };',
      '=======',
      'export { total };',
      '>>>>>>> REPLACE',
      F,
    );
    const { value, format } = parsed(content);
    expect(format).toBe('markdown');
    expect(value).toEqual({
      summary: 'Rename `count` to `total` and log it.',
      files: [
        {
          path: 'src/stats.ts',
          mode: 'edit',
          edits: [
            { search: 'let count = 0;\n', replace: 'let total = 0;\n' },
            { search: '  count += 1;\n', replace: '  total += 1;\n' },
            { search: 'export { count };\n', replace: 'export { total };\n' },
          ],
        },
        { path: 'src/main.ts', mode: 'edit', edits: [{ search: 'console.log(count);\n', replace: 'console.log(total);\n' }] },
      ],
    });
  });

  it('reads a path line inside the fence, and switches files within one fence', () => {
    const content = answer(F, 'src/a.ts', '<<<<<<< SEARCH', 'a', '=======', 'A', '>>>>>>> REPLACE', 'src/b.ts', '<<<<<<< SEARCH', 'b', '=======', '>>>>>>> REPLACE', F);
    expect(parsed(content).value.files).toEqual([
      { path: 'src/a.ts', mode: 'edit', edits: [{ search: 'a\n', replace: 'A\n' }] },
      { path: 'src/b.ts', mode: 'edit', edits: [{ search: 'b\n', replace: '' }] },
    ]);
  });

  it('gives a block with no path line of its own to the file of the block before it', () => {
    const content = answer('src/a.ts', F, '<<<<<<< SEARCH', 'a', '=======', 'A', '>>>>>>> REPLACE', F, 'and', F, '<<<<<<< SEARCH', 'b', '=======', 'B', '>>>>>>> REPLACE', F);
    expect(parsed(content).value.files).toEqual([{ path: 'src/a.ts', mode: 'edit', edits: [{ search: 'a\n', replace: 'A\n' }, { search: 'b\n', replace: 'B\n' }] }]);
  });

  it('keeps fences inside SEARCH and REPLACE as text', () => {
    const content = answer('README.md', '````', '<<<<<<< SEARCH', '```sh', 'npm i', '```', '=======', '```sh', 'npm ci', '```', '>>>>>>> REPLACE', '````');
    expect(parsed(content).value.files[0]?.edits).toEqual([{ search: '```sh\nnpm i\n```\n', replace: '```sh\nnpm ci\n```\n' }]);
  });

  it('reads blocks with no fence at all', () => {
    const content = answer('Fix:', '', 'src/a.ts', '<<<<<<< SEARCH', 'a', '=======', 'A', '>>>>>>> REPLACE');
    expect(parsed(content).value).toEqual({ summary: 'Fix:', files: [{ path: 'src/a.ts', mode: 'edit', edits: [{ search: 'a\n', replace: 'A\n' }] }] });
  });

  it('accepts a last fence left open when its block reached >>>>>>> REPLACE', () => {
    const content = answer('src/a.ts', `${F}ts`, '<<<<<<< SEARCH', 'a', '=======', 'A', '>>>>>>> REPLACE');
    expect(parsed(content).value.files).toEqual([{ path: 'src/a.ts', mode: 'edit', edits: [{ search: 'a\n', replace: 'A\n' }] }]);
  });

  it.each([
    ['in its REPLACE lines', ['<<<<<<< SEARCH', 'a', '=======', 'A'], /no >>>>>>> REPLACE line/],
    ['in its SEARCH lines', ['<<<<<<< SEARCH', 'a'], /no ======= line/],
  ])('refuses a block cut off %s', (_where, block, missing) => {
    const outcome = parseModelResponse(reply(answer('src/a.ts', `${F}ts`, '<<<<<<< SEARCH', 'x', '=======', 'X', '>>>>>>> REPLACE', '', ...block)));
    expect(outcome).toMatchObject({ ok: false, code: 'LLM_TRUNCATED' });
    if (!outcome.ok) expect(outcome.errors[0]).toMatch(new RegExp(`edit block at line 9 \\(src/a\\.ts\\) has ${missing.source}.*cut off`));
  });

  it('refuses a first block that names no file', () => {
    const outcome = parseModelResponse(reply(answer('Change this:', F, '<<<<<<< SEARCH', 'a', '=======', 'A', '>>>>>>> REPLACE', F)));
    expect(outcome).toMatchObject({ ok: false, code: 'RESPONSE_UNPARSEABLE' });
    if (!outcome.ok) expect(outcome.errors[0]).toMatch(/edit block at line 3 names no file; put the file's path on the line before/);
  });

  it('creates a file from a lone block with an empty SEARCH only when exists says it is absent', () => {
    const content = answer('src/new.ts', F, '<<<<<<< SEARCH', '=======', 'export const n = 1;', '>>>>>>> REPLACE', F);
    expect(parsed(content, { exists: () => false }).value.files).toEqual([{ path: 'src/new.ts', mode: 'create', new_content: 'export const n = 1;\n' }]);
    expect(parsed(content, { exists: () => true }).value.files[0]?.mode).toBe('edit');
    expect(parsed(content).value.files[0]?.mode).toBe('edit');
  });
});

describe('markdown answers beside JSON', () => {
  const json = JSON.stringify({ summary: 's', files: [{ path: 'a.ts', mode: 'create', new_content: 'a' }] });

  it('reads an answer that is one ```json fence as JSON', () => {
    const outcome = parsed(answer(`${F}json`, json, F));
    expect(outcome.format).toBe('json');
    expect(outcome.value.files[0]?.path).toBe('a.ts');
  });

  it('reads a package.json sent in markdown as a file, not as a JSON answer', () => {
    const pkg = answer('{', '  "name": "demo",', '  "scripts": { "test": "vitest" },', '}');
    const outcome = parsed(answer('Adds a test script.', '', '`package.json`', `${F}json`, pkg, F));
    expect(outcome.format).toBe('markdown');
    expect(outcome.value.files).toEqual([{ path: 'package.json', mode: 'create', new_content: `${pkg}\n` }]);
  });

  it('reads a JSON file holding a whole answer as a file, and objects in code as code', () => {
    const fixture = answer('**test/fixtures/answer.json**', `${F}json`, json, F);
    expect(parsed(fixture).value.files[0]?.path).toBe('test/fixtures/answer.json');
    const code = ['const empty = { summary: "none", files: [] };', `const full = ${json};`];
    const outcome = parsed(answer('**test/x.test.ts**', `${F}ts`, ...code, F));
    expect(outcome.format).toBe('markdown');
    expect(outcome.value.files).toEqual([{ path: 'test/x.test.ts', mode: 'create', new_content: `${code.join('\n')}\n` }]);
  });

  it('says so when only examples were found', () => {
    const outcome = parseModelResponse(reply(answer('### Example', `${F}bash`, 'npm test', F)));
    expect(outcome).toMatchObject({ ok: false, code: 'RESPONSE_UNPARSEABLE' });
    if (!outcome.ok) expect(outcome.errors[0]).toMatch(/1 fenced block\(s\) but no path line right before any.*The answer began: ### Example/);
  });

  it('reads the same answer alone with parseMarkdownAnswer', () => {
    expect(parseMarkdownAnswer(answer('src/a.ts', F, 'a', F))).toEqual({
      ok: true,
      value: { summary: NO_SUMMARY, files: [{ path: 'src/a.ts', mode: 'create', new_content: 'a\n' }] },
    });
    expect(parseMarkdownAnswer('no files here')).toMatchObject({ ok: false, code: 'NO_FILES' });
  });
});
