import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModelResponse } from '../../src/llm/parseModelResponse.js';
import { canonicalChangePath } from '../../src/validation/index.js';
import { objectSpans } from '../../src/llm/objectSpans.js';
import { quotedStrings, readRepairedJson, repairJson, scanJson } from '../../src/llm/repairJson.js';
import type { LLMResponse } from '../../src/llm/types.js';

const reply = (content: string, finishReason = 'stop'): LLMResponse => ({ content, finishReason, usage: { promptTokens: 1, completionTokens: 1 } });
const expected = { summary: 'did it', files: [{ path: 'a.ts', mode: 'create' as const, new_content: 'x {y} "z"\n' }] };
const json = JSON.stringify(expected);

describe('parseModelResponse', () => {
  it.each([
    ['plain JSON', json],
    ['a ```json fence', '```json\n' + json + '\n```'],
    ['prose around a fence', 'Sure! Here you go:\n```json\n' + json + '\n```\nLet me know.'],
    ['prose around bare JSON', 'Here is the change: ' + json + ' Hope it helps.'],
    ['a first fenced block that is not the answer', '```json\n{"note": "plan"}\n```\nand\n```\n' + json + '\n```'],
    ['trailing commas', '{"summary": "did it", "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\\n",},],}'],
    ['a bare newline inside a string', '{"summary": "did it", "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\n"}]}'],
    ['// and /* */ comments', '{\n  // the change\n  "summary": "did it", /* one file */\n  "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\\n"}] // done\n}'],
    ['single-quoted strings', "{'summary': 'did it', 'files': [{'path': 'a.ts', 'mode': 'create', 'new_content': 'x {y} \"z\"\\n'}]}"],
    ['unquoted keys', '{summary: "did it", files: [{path: "a.ts", mode: "create", new_content: "x {y} \\"z\\"\\n"}]}'],
    ['a missing comma', '{"summary": "did it"\n "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\\n"}]}'],
    ['Windows line endings', '{\r\n  "summary": "did it",\r\n  "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\\n"}]\r\n}'],
    ['a fenced answer with a trailing comma and prose around', 'Here it is:\n```json\n{"summary": "did it", "files": [{"path": "a.ts", "mode": "create", "new_content": "x {y} \\"z\\"\\n"},]}\n```\nDone.'],
    ['a JSON answer after a line naming a file', 'Here is the change to `a.ts`:\n```json\n' + json + '\n```'],
  ])('finds the answer in %s', (_name, content) => {
    const parsed = parseModelResponse(reply(content));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value).toEqual(expected);
    if (parsed.ok) expect(parsed.format).toBe('json');
  });

  it("reads Python's None, True and False", () => {
    const parsed = parseModelResponse(reply('{"summary": "gone", "files": [{"path": "old.ts", "mode": "delete", "new_content": None, "edits": None}], "complete": True, "partial": False}'));
    expect(parsed.ok && parsed.value).toEqual({ summary: 'gone', files: [{ path: 'old.ts', mode: 'delete', new_content: null, edits: null }] });
  });

  it('prefers a candidate valid as sent over a repaired one', () => {
    // The draft comes first and repairs into a valid answer; the final one is valid as sent and wins.
    const parsed = parseModelResponse(reply('Draft: {"summary": "draft", "files": [],}\n\nFinal: ' + json));
    expect(parsed.ok && parsed.value).toEqual(expected);
  });

  it('ignores unknown extra fields', () => {
    const parsed = parseModelResponse(reply(JSON.stringify({ ...expected, confidence: 0.9, files: [{ ...expected.files[0], reason: 'r' }] })));
    expect(parsed.ok && parsed.value).toEqual(expected);
  });

  it('gives every path its canonical spelling, and leaves paths validation must refuse as the model wrote them', () => {
    const written = ['./src/../lib/x.ts', 'a//b/./c.ts', 'src/', 'plain.ts', '../up.ts', 'src/../../up.ts', '/etc/passwd', '//server/share/x', 'C:/x', 'src\\a.ts', '.', './', '', ' '];
    const parsed = parseModelResponse(reply(JSON.stringify({ summary: 's', files: written.map((p) => ({ path: p, mode: 'create', new_content: 'x' })) })));
    expect(parsed.ok && parsed.value.files.map((f) => f.path)).toEqual(['lib/x.ts', 'a/b/c.ts', 'src', 'plain.ts', ...written.slice(4)]);
  });

  it('names the field when the JSON does not match the schema', () => {
    const parsed = parseModelResponse(reply('{"summary": "s", "files": [{"path": "a", "mode": "patch", "new_content": "x"}]}'));
    expect(parsed).toMatchObject({ ok: false, code: 'RESPONSE_UNPARSEABLE' });
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/files\[0\]\.mode: .*create.*modify.*delete/);
  });

  it('says what was expected in both formats, quoting the start of the answer', () => {
    const parsed = parseModelResponse(reply('I am unable to help with that request.'));
    expect(parsed).toMatchObject({ ok: false, code: 'RESPONSE_UNPARSEABLE' });
    if (!parsed.ok) {
      expect(parsed.errors[0]).toMatch(/no JSON object was found.*no file in markdown either.*path.*fenced block.*SEARCH.*REPLACE.*The answer began: I am unable to help/);
    }
  });

  it('treats finishReason length as truncated, even when the JSON happens to parse', () => {
    const parsed = parseModelResponse(reply(json, 'length'));
    expect(parsed).toMatchObject({ ok: false, code: 'LLM_TRUNCATED' });
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/truncated.*output-token limit/);
  });

  describe('an answer cut off although the model said it had finished (finishReason stop)', () => {
    const head = '{"summary": "two files", "files": [{"path": "a.ts", "mode": "create", "new_content": "export const a = 1;\\n"}';

    it.each([
      ['inside a new_content', `${head}, {"path": "b.ts", "mode": "create", "new_content": "export function b() {\\n  return [1, 2,`, /new_content of files\[1\] \("b\.ts"\)/],
      ['inside a replace', '{"summary": "s", "files": [{"path": "a.ts", "mode": "edit", "edits": [{"search": "a\\n", "replace": "b\\nc'],
      ['inside a file entry, between its fields', `${head}, {"path": "b.ts", "mode": "create",`, /inside files\[1\] \("b\.ts"\)/],
      ['inside a path', `${head}, {"path": "b.t`, /inside files\[1\]/],
      ['inside the summary', '{"summary": "I will add', /before its first file/],
      ['in a fence with prose before it', 'Sure, here it is:\n```json\n' + `${head}, {'path': 'b.ts', 'mode': 'create', 'new_content': 'line 1\\nline`, /new_content of files\[1\]/],
    ] as Array<[string, string, RegExp?]>)('refuses it as truncated: %s', (_name, content, where) => {
      const parsed = parseModelResponse(reply(content));
      expect(parsed).toMatchObject({ ok: false, code: 'LLM_TRUNCATED' });
      if (!parsed.ok) {
        expect(parsed.errors[0]).toMatch(/the answer was cut off: its JSON stops .*send the complete answer/);
        if (where !== undefined) expect(parsed.errors[0]).toMatch(where);
      }
    });

    it('names the edit field it stopped in', () => {
      const parsed = parseModelResponse(reply('{"summary": "s", "files": [{"path": "a.ts", "mode": "edit", "edits": [{"search": "a\\n", "replace": "b\\nc'));
      expect(!parsed.ok && parsed.errors[0]).toMatch(/inside the replace of files\[0\] \("a\.ts"\)/);
    });

    it('accepts an answer whose every file is whole, only the closing brackets of the list and the answer missing', () => {
      for (const content of [head, `${head}]`, `${head},`, `${head}\n  ]`]) {
        const parsed = parseModelResponse(reply(content));
        expect(parsed.ok && parsed.value.files).toEqual([{ path: 'a.ts', mode: 'create', new_content: 'export const a = 1;\n' }]);
      }
    });
  });

  it('reports an empty answer', () => {
    expect(parseModelResponse(reply('  \n'))).toMatchObject({ ok: false, code: 'LLM_EMPTY_RESPONSE' });
  });

  it('round-trips any answer wrapped in a fence with prose around it, paths canonical (property)', () => {
    const change = fc.record({
      path: fc.string({ minLength: 1 }),
      mode: fc.constantFrom('create' as const, 'modify' as const, 'delete' as const),
      new_content: fc.option(fc.string(), { nil: null }),
    });
    const prose = fc.string().filter((s) => !s.includes('`') && !s.includes('{'));
    fc.assert(
      fc.property(fc.record({ summary: fc.string(), files: fc.array(change, { maxLength: 4 }) }), prose, prose, (answer, before, after) => {
        const parsed = parseModelResponse(reply(`${before}\n\`\`\`json\n${JSON.stringify(answer, null, 2)}\n\`\`\`\n${after}`));
        const files = answer.files.map((file) => ({ ...file, path: canonicalChangePath(file.path) }));
        expect(parsed.ok && parsed.value).toEqual({ ...answer, files });
      }),
    );
  });
});

describe('repairJson', () => {
  it('removes trailing commas but not commas inside strings', () => {
    expect(JSON.parse(repairJson('{"a": [1, 2,], "b": "x,}",}'))).toEqual({ a: [1, 2], b: 'x,}' });
  });
  it('escapes raw newlines, tabs and CRs inside strings only', () => {
    expect(JSON.parse(repairJson('{\n"a": "line1\nline2\tx\r"\n}'))).toEqual({ a: 'line1\nline2\tx\r' });
  });
  it('leaves valid JSON unchanged', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      expect(JSON.parse(repairJson(text))).toEqual(JSON.parse(text));
    }));
  });
  it('leaves a string open at the end alone, commas in it included', () => {
    expect(repairJson('{"a": [1,], "b": "x,]\ny')).toBe('{"a": [1], "b": "x,]\\ny');
  });
});

describe('readRepairedJson', () => {
  // Strings full of the characters that make jsonrepair guess: brackets, quotes, commas, colons.
  const tricky = fc.array(fc.constantFrom('a', ' ', '{', '}', '[', ']', '"', "'", ',', ':', '\n', '\\', '/', '*', '(', ')', '`'), { maxLength: 30 }).map((chars) => chars.join(''));
  const answer = fc.record({
    summary: tricky,
    files: fc.array(fc.record({ path: fc.constantFrom('a.ts', 'b.ts'), mode: fc.constant('create'), new_content: tricky }), { maxLength: 3 }),
  });

  it('reads the two common slips exactly, whatever the strings hold (property)', () => {
    fc.assert(fc.property(answer, (value) => {
      const slipped = JSON.stringify(value, null, 1).replace(/\}\n\]/g, '},\n]').replace(/\\n/g, '\n');
      expect(readRepairedJson(slipped)).toEqual(value);
    }), { numRuns: 300 });
  });

  it.each([
    ['a comment', (text: string) => `// the answer\n${text}`],
    ['unquoted keys', (text: string) => text.replace(/"(summary|files|path|mode|new_content)":/g, '$1:')],
    ['single quotes around the paths', (text: string) => text.replace(/"(a|b)\.ts"/g, "'$1.ts'")],
  ])('never changes a string when repairing %s: the answer as written, or nothing (property)', (_slip, slip) => {
    fc.assert(fc.property(answer, (value) => {
      const repaired = readRepairedJson(slip(JSON.stringify(value)));
      if (repaired !== undefined) expect(repaired).toEqual(value);
    }), { numRuns: 500 });
  });

  it('refuses a jsonrepair guess that moves string text into the structure', () => {
    // jsonrepair reads `({(:` as the end of the string and the start of an object.
    expect(readRepairedJson('// note\n{"files": [{"path": "b.ts", "new_content": "aa*({(:"}]}')).toBeUndefined();
  });

  it('is undefined when the text cannot be repaired', () => {
    expect(readRepairedJson('I am unable to help: {]')).toBeUndefined();
  });
});

describe('scanJson', () => {
  it.each([
    ['{"a": 1}', { strings: ['a'], brackets: '', inString: false, key: null, closers: '' }],
    ['{"a": [1, {"b": "x', { strings: ['a', 'b'], brackets: '{[{', inString: true, key: 'b', closers: '"}]}' }],
    ['{"a": "x", "new_c', { strings: ['a', 'x'], brackets: '{', inString: true, key: null, closers: '"}' }],
    ["{'new_content': 'it\\'s", { strings: ['new_content'], brackets: '{', inString: true, key: 'new_content', closers: "'}" }],
    ['{new_content: "x // not a comment', { strings: [], brackets: '{', inString: true, key: 'new_content', closers: '"}' }],
    ['{"a": "x\\', { strings: ['a'], brackets: '{', inString: true, key: 'a', closers: '\\"}' }],
    ['{"a": 1, // "open\n /* "open */ "b": [', { strings: ['a', 'b'], brackets: '{[', inString: false, key: null, closers: ']}' }],
    ["It's here: {\"a\": [\"it's\\n\\u0041\\q\", ", { strings: ['a', "it's\nAq"], brackets: '{[', inString: false, key: null, closers: ']}' }],
  ])('reads %j', (text, { strings, ...open }) => {
    const { strings: _offsets, ...scanned } = scanJson(text);
    expect(scanned).toEqual(open);
    expect(quotedStrings(text)).toEqual(strings);
  });
});

describe('objectSpans', () => {
  it('finds top-level object spans, skipping braces in strings, the last one open to the end', () => {
    expect(objectSpans('x {"a": "}"} y {"b": {"c": 1}} z {"d": "{')).toEqual([
      { start: 2, text: '{"a": "}"}', closed: true },
      { start: 15, text: '{"b": {"c": 1}}', closed: true },
      { start: 33, text: '{"d": "{', closed: false },
    ]);
  });
});
