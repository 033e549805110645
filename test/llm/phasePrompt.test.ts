import { describe, expect, it } from 'vitest';
import { buildPhasePrompt, PHASE_PROMPT_ID, PHASE_PROMPT_VERSION } from '../../src/llm/prompts/phasePrompt.js';
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
