import { describe, expect, it } from 'vitest';
import {
  buildPhasePrompt,
  countLines,
  EDIT_THRESHOLD_LINES,
  PHASE_PROMPT_ID,
  PHASE_PROMPT_VERSION,
  type AnswerFormat,
  type BuiltPrompt,
  type EditFormat,
} from '../../src/llm/prompts/phasePrompt.js';
import { ModelResponseSchema, ModelResponseWireSchema } from '../../src/model/fileChange.js';
import type { PhaseSpec } from '../../src/model/phaseSpec.js';

const spec: PhaseSpec = {
  description: 'Add greet()',
  category: 'feature',
  complexity: 'low',
  acceptance_criteria: ['greet() says hello', 'greet("Ada") says hello to Ada'],
  deliverables: ['src/greet.js'],
};
const input = {
  spec,
  protectedPaths: ['.git/', 'secrets/'],
  contextFiles: [{ path: 'src/names.js', content: "export const defaultName = 'world';\n" }],
  previousErrors: [] as string[],
  attempt: 1,
};
const userText = (prompt: ReturnType<typeof buildPhasePrompt>) => prompt.messages.find((m) => m.role === 'user')?.content ?? '';

describe('buildPhasePrompt', () => {
  it('gives the task, criteria, deliverables, protected paths and context files', () => {
    const prompt = buildPhasePrompt(input);
    expect(prompt).toMatchObject({ id: PHASE_PROMPT_ID, version: PHASE_PROMPT_VERSION });
    const text = userText(prompt);
    for (const piece of ['Add greet()', 'Category: feature', 'Complexity: low', '1. greet() says hello', '2. greet("Ada")', '- src/greet.js', '- secrets/', '## src/names.js', "export const defaultName = 'world';"]) {
      expect(text).toContain(piece);
    }
    expect(prompt.messages[0]?.content).toContain('"new_content"');
    expect(text).not.toContain('previous attempt failed');
  });

  it('adds the previous errors on a retry', () => {
    const text = userText(buildPhasePrompt({ ...input, attempt: 2, previousErrors: ['files[0] "x": absolute path'] }));
    expect(text).toContain('Your previous attempt failed (attempt 1)');
    expect(text).toContain('- files[0] "x": absolute path');
  });

  it('fences a context file so its own backticks cannot close the block', () => {
    const content = 'Example:\n```js\ncode\n```\n````\n';
    const text = userText(buildPhasePrompt({ ...input, contextFiles: [{ path: 'README.md', content }] }));
    expect(text).toContain('`````\n' + content + '`````');
  });

  it('is deterministic', () => {
    expect(buildPhasePrompt(input)).toEqual(buildPhasePrompt(structuredClone(input)));
  });
});

type Form = 'whole' | 'edits';
const numbered = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const small = { path: 'src/names.js', content: "export const defaultName = 'world';\n" };
const atThreshold = { path: 'src/at.js', content: numbered(EDIT_THRESHOLD_LINES) };
const overThreshold = { path: 'src/over.js', content: numbered(EDIT_THRESHOLD_LINES + 1) };
const system = (prompt: BuiltPrompt) => prompt.messages.find((m) => m.role === 'system')?.content ?? '';
const build = (editFormat: EditFormat, answerFormat: AnswerFormat, contextFiles = [small, atThreshold, overThreshold]) =>
  buildPhasePrompt({ ...input, contextFiles, editFormat, answerFormat });

/** The entries of the user message's list of files to change with edits; none when it has no such list. */
function listedForEdits(prompt: BuiltPrompt): string[] {
  const text = userText(prompt);
  const at = text.indexOf('# Files to change with edits\n');
  if (at < 0) return [];
  const section = text.slice(at).split('\n\n')[0] ?? '';
  return section.split('\n').filter((line) => line.startsWith('- ')).map((line) => line.slice(2));
}
const formOf = (prompt: BuiltPrompt, path: string): Form => (listedForEdits(prompt).some((entry) => entry.startsWith(`${path} (`)) ? 'edits' : 'whole');

/** The example answer in the system message: from the line after "For example" up to the rules. */
function exampleOf(prompt: BuiltPrompt): string {
  const text = system(prompt);
  const intro = text.indexOf('\nFor example');
  const end = text.indexOf('\n\nRules:\n');
  expect(intro).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(intro);
  return text.slice(text.indexOf('\n', intro + 1) + 1, end).trim();
}

// Written out rather than computed, so that a wrong threshold or mode fails here.
const expected: Record<EditFormat, { small: Form; atThreshold: Form; overThreshold: Form }> = {
  whole: { small: 'whole', atThreshold: 'whole', overThreshold: 'whole' },
  edits: { small: 'edits', atThreshold: 'edits', overThreshold: 'edits' },
  auto: { small: 'whole', atThreshold: 'whole', overThreshold: 'edits' },
};
const combinations = (['whole', 'edits', 'auto'] as const).flatMap((editFormat) =>
  (['json', 'markdown'] as const).map((answerFormat) => ({ editFormat, answerFormat, forms: expected[editFormat] })),
);

describe.each(combinations)('editFormat $editFormat, answerFormat $answerFormat', ({ editFormat, answerFormat, forms }) => {
  const prompt = build(editFormat, answerFormat);
  const asksEdits = Object.values(forms).includes('edits');

  it('lists the existing files to change with edits (with their lines), and only those', () => {
    const named = { small: formOf(prompt, small.path), atThreshold: formOf(prompt, atThreshold.path), overThreshold: formOf(prompt, overThreshold.path) };
    expect(named).toEqual(forms);
    if (forms.overThreshold === 'edits') expect(listedForEdits(prompt)).toContain(`${overThreshold.path} (${EDIT_THRESHOLD_LINES + 1} lines)`);
    expect(userText(prompt).includes('# Files to change with edits')).toBe(asksEdits);
    for (const file of [small, atThreshold, overThreshold]) expect(userText(prompt)).toContain(`## ${file.path}\n\`\`\`\n`);
  });

  it('asks for a new deliverable whole', () => {
    const text = userText(prompt);
    expect(text).toContain(asksEdits ? '- src/greet.js (new: send it whole)\n' : '- src/greet.js\n');
    expect(text).not.toMatch(/src\/greet\.js.*edits/);
  });

  it('shows the shape and example of each form asked for, and only those', () => {
    const text = system(prompt);
    const example = exampleOf(prompt);
    expect(example).toContain('src/greet.ts');
    if (answerFormat === 'json') {
      expect(text).toContain('Reply with one JSON object and nothing else');
      expect(text).not.toContain('<<<<<<< SEARCH');
      expect(example).toContain('"mode":"create"');
      expect(example.includes('"mode":"edit"')).toBe(asksEdits);
      expect(text.includes('"edits": [ { "search": string, "replace": string } ] | null')).toBe(asksEdits);
      expect(text).toContain('"delete" (with "new_content": null');
    } else {
      expect(text).toContain('in markdown, never in JSON');
      for (const jsonOnly of ['"summary"', '"files"', '"new_content"', '"mode"', 'JSON object']) expect(text).not.toContain(jsonOnly);
      expect(userText(prompt)).not.toMatch(/json/i);
      expect(example).toContain('src/greet.ts\n```ts\nexport function greet');
      expect(example.includes('<<<<<<< SEARCH')).toBe(asksEdits);
      expect(text).toContain('This format cannot delete a file');
    }
    expect(text.includes('Each search must match exactly one place')).toBe(asksEdits);
    expect(text.includes('applied all together or not at all')).toBe(asksEdits);
  });

  it('keeps the standing rules', () => {
    const text = system(prompt);
    for (const rule of ['Never change a protected path.', 'Every deliverable must exist after your change.', 'COMPLETE new content', 'Never elide with "..."']) {
      expect(text).toContain(rule);
    }
  });

  if (answerFormat === 'json') {
    it('gives an example that is a valid answer (and valid under structured output when it shows edits)', () => {
      const example: unknown = JSON.parse(exampleOf(prompt));
      const parsed = ModelResponseSchema.parse(example);
      expect(parsed.files.map((f) => f.mode)).toEqual(asksEdits ? ['create', 'edit'] : ['create']);
      // The summary speaks of the files the example changes, and no others.
      expect(parsed.summary.includes('src/index.ts')).toBe(asksEdits);
      if (asksEdits) {
        expect(ModelResponseWireSchema.safeParse(example).success).toBe(true);
        expect(parsed.files[1]?.edits).toHaveLength(1);
      }
    });
  } else {
    it('gives an example whose blocks carry the exact markers, each alone on its line', () => {
      const lines = exampleOf(prompt).split('\n');
      expect(lines[0]?.includes('src/index.ts')).toBe(asksEdits);
      const wholeAt = lines.indexOf('src/greet.ts');
      expect(lines.slice(wholeAt + 1, wholeAt + 3)).toEqual(['```ts', 'export function greet(name: string): string {']);
      const markers = lines.filter((line) => /^(<{7}|={7}|>{7})/.test(line));
      expect(markers).toEqual(asksEdits ? ['<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE'] : []);
      if (asksEdits) {
        const search = lines.indexOf('<<<<<<< SEARCH');
        expect(lines.slice(search - 2, search)).toEqual(['src/index.ts', '```ts']);
        expect(lines[lines.indexOf('>>>>>>> REPLACE') + 1]).toBe('```');
      }
    });
  }
});

describe('the edit threshold (auto)', () => {
  it(`sends a file of ${EDIT_THRESHOLD_LINES} lines whole and changes one of a line more with edits`, () => {
    const at = build('auto', 'json', [atThreshold]);
    expect(listedForEdits(at)).toEqual([]);
    expect(system(at)).not.toContain('"edit"');
    const over = build('auto', 'json', [overThreshold]);
    expect(listedForEdits(over)).toEqual([`${overThreshold.path} (${EDIT_THRESHOLD_LINES + 1} lines)`]);
    expect(system(over)).toContain('"edit"');
  });

  it('counts the file on disk, not the excerpt shown when the prompt had to cut it short', () => {
    const excerpt = { path: 'src/long.js', content: 'line 1\nline 2\n' };
    const prompt = buildPhasePrompt({ ...input, contextFiles: [excerpt], lineCounts: new Map([[excerpt.path, 2000]]) });
    expect(listedForEdits(prompt)).toEqual(['src/long.js (2000 lines)']);
  });

  it('chooses over every candidate, so the text around the files does not change with the files the budget leaves in', () => {
    const lineCounts = new Map([[small.path, 1], [overThreshold.path, EDIT_THRESHOLD_LINES + 1]]);
    const without = buildPhasePrompt({ ...input, contextFiles: [small], lineCounts });
    const withIt = buildPhasePrompt({ ...input, contextFiles: [small, overThreshold], lineCounts });
    expect(system(without)).toBe(system(withIt));
    expect(listedForEdits(without)).toEqual(listedForEdits(withIt));
    expect(userText(withIt)).toBe(`${userText(without)}\n\n## ${overThreshold.path}\n\`\`\`\n${overThreshold.content}\`\`\``);
  });

  it('sends an empty file whole even when edits are asked for: there is nothing to search', () => {
    const prompt = build('edits', 'json', [{ path: 'src/empty.js', content: '' }, small]);
    expect(listedForEdits(prompt)).toEqual(['src/names.js (1 line)']);
  });

  it('counts lines as an editor does', () => {
    expect([countLines(''), countLines('a'), countLines('a\n'), countLines('a\nb'), countLines('a\n\n')]).toEqual([0, 1, 1, 2, 2]);
  });
});

describe('defaults', () => {
  it('asks in JSON, with edits only above the threshold (auto)', () => {
    expect(buildPhasePrompt({ ...input, contextFiles: [small, overThreshold] })).toEqual(build('auto', 'json', [small, overThreshold]));
  });

  it('asks a prompt of small files as it asked for whole files before, plus one example', () => {
    const text = system(buildPhasePrompt(input));
    expect(text).toContain('{ "summary": string, "files": [ { "path": string, "mode": "create" | "modify" | "delete", "new_content": string | null } ] }');
    expect(text).not.toContain('edit');
  });
});
