import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModelResponse } from '../../src/llm/parseModelResponse.js';
import { canonicalChangePath } from '../../src/validation/index.js';
import { balancedObjectSpans, repairJson } from '../../src/llm/repairJson.js';
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
  ])('finds the answer in %s', (_name, content) => {
    const parsed = parseModelResponse(reply(content));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value).toEqual(expected);
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

  it('says no JSON was found, quoting the start of the answer', () => {
    const parsed = parseModelResponse(reply('I am unable to help with that request.'));
    expect(parsed).toMatchObject({ ok: false, code: 'RESPONSE_UNPARSEABLE' });
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/no JSON object was found.*I am unable to help/);
  });

  it('treats finishReason length as truncated, even when the JSON happens to parse', () => {
    const parsed = parseModelResponse(reply(json, 'length'));
    expect(parsed).toMatchObject({ ok: false, code: 'LLM_TRUNCATED' });
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/truncated.*output-token limit/);
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
  it('finds balanced object spans, skipping braces in strings', () => {
    expect(balancedObjectSpans('x {"a": "}"} y {"b": {"c": 1}} z {')).toEqual(['{"a": "}"}', '{"b": {"c": 1}}']);
  });
});
