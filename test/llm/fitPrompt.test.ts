import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetShortfall } from '../../src/llm/budget.js';
import { fitPrompt, type CandidateFile } from '../../src/llm/fitPrompt.js';
import { priceFor, DEFAULT_PRICES } from '../../src/llm/prices.js';
import { countMessageTokens, tokenCounterFor } from '../../src/llm/tokenCount.js';
import { AutopackError } from '../../src/model/errors.js';
import type { PhaseSpec } from '../../src/model/phaseSpec.js';

const spec: PhaseSpec = {
  id: 'p',
  description: 'Change the things.',
  category: 'feature',
  complexity: 'low',
  acceptance_criteria: ['things changed'],
  deliverables: ['main.ts'],
};
const base = { spec, protectedPaths: ['.git/'], previousErrors: [], attempt: 1 };

describe('token counting', () => {
  it('counts exactly with o200k_base for OpenAI models and scales up for others', async () => {
    const exact = await tokenCounterFor('gpt-4o-mini');
    const estimate = await tokenCounterFor('llama3.1:8b');
    expect(exact.name).toBe('o200k_base');
    expect(exact.count('hello world')).toBe(2);
    expect(estimate.name).toMatch(/estimate for llama3\.1:8b/);
    const code = 'export function add(a: number, b: number): number { return a + b; }\n'.repeat(20);
    expect(estimate.count(code)).toBe(Math.ceil(exact.count(code) * 1.2));
  });

  it('counts special-token look-alikes as plain text instead of throwing', async () => {
    const counter = await tokenCounterFor('gpt-4o');
    expect(counter.count('<|endoftext|>')).toBeGreaterThan(1);
  });
});

describe('fitPrompt', () => {
  it('never exceeds the budget, always keeps the deliverables, and keeps context files as a priority prefix', async () => {
    const counter = await tokenCounterFor('gpt-4o');
    const fileArb = fc.record({
      lines: fc.integer({ min: 1, max: 300 }),
      word: fc.constantFrom('alpha', 'const x = 1;', 'lorem ipsum', '日本語のテキスト'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fileArb, { minLength: 0, maxLength: 6 }), fc.integer({ min: 600, max: 8000 }), async (files, budget) => {
        const candidates: CandidateFile[] = [
          { path: 'main.ts', content: 'export const main = 1;\n', required: true },
          ...files.map((f, i) => ({ path: `ctx/${i}.txt`, content: `${f.word}\n`.repeat(f.lines), required: false })),
        ];
        const fitted = fitPrompt({ base, candidates, missing: [], maxPromptTokens: budget, counter });
        expect(fitted.promptTokens).toBeLessThanOrEqual(budget);
        expect(countMessageTokens(counter, fitted.prompt.messages)).toBe(fitted.promptTokens);
        expect(fitted.prompt.messages[1]?.content).toContain('export const main = 1;');
        expect(fitted.context[0]).toMatchObject({ path: 'main.ts' });
        expect(fitted.context[0]?.cut).toBeUndefined();
        // Strict priority: whole files, then at most one truncated, then only dropped ones.
        const kinds = fitted.context.slice(1).map((c) => c.cut?.kind ?? 'kept');
        const firstCut = kinds.findIndex((k) => k !== 'kept');
        if (firstCut >= 0) expect(kinds.slice(firstCut + 1).every((k) => k === 'dropped')).toBe(true);
        for (const entry of fitted.context.slice(1)) {
          const inPrompt = fitted.prompt.messages[1]?.content.includes(`## ${entry.path}\n`);
          expect(inPrompt).toBe(entry.cut?.kind !== 'dropped');
        }
      }),
      { numRuns: 100 },
    );
  });

  it('names the deliverables and their sizes when they alone do not fit', async () => {
    const counter = await tokenCounterFor('gpt-4o');
    const candidates = [{ path: 'main.ts', content: 'word '.repeat(5000), required: true }];
    let caught: unknown;
    try {
      fitPrompt({ base, candidates, missing: [], maxPromptTokens: 1000, counter });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AutopackError);
    expect((caught as AutopackError).code).toBe('PROMPT_TOO_LARGE');
    expect((caught as AutopackError).message).toMatch(/needs \d+ tokens \(phase text and deliverables: main\.ts \(\d+ tokens\)\) but the prompt budget is 1000/);
  });

  it('reports context files that do not exist', async () => {
    const counter = await tokenCounterFor('gpt-4o');
    const fitted = fitPrompt({ base, candidates: [], missing: ['docs/gone.md'], maxPromptTokens: 10_000, counter });
    expect(fitted.context).toEqual([{ path: 'docs/gone.md', bytes: null }]);
  });
});

describe('prices and budgets', () => {
  it('prices dated model names by their family, and unknown models not at all', () => {
    expect(priceFor('gpt-4o-2024-08-06', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceFor('gpt-4o-mini', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor('gpt-4o-mini-2024-07-18', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor('llama3.1:8b', DEFAULT_PRICES)).toBeNull();
    expect(priceFor(undefined, DEFAULT_PRICES)).toBeNull();
  });

  it('allows a call only when its worst case fits what is left', () => {
    const price = { input_per_mtok: 1, output_per_mtok: 2 };
    const next = { promptTokens: 1000, maxOutputTokens: 1000, price };
    expect(budgetShortfall({ maxTotalTokens: 3000 }, { tokens: 1000, costUsd: 0 }, next)).toBeNull();
    expect(budgetShortfall({ maxTotalTokens: 2999 }, { tokens: 1000, costUsd: 0 }, next)).toMatch(/token budget/);
    // worst cost: 1000 * $1/M + 1000 * $2/M = $0.003
    expect(budgetShortfall({ maxCostUsd: 0.004 }, { tokens: 0, costUsd: 0.001 }, next)).toBeNull();
    expect(budgetShortfall({ maxCostUsd: 0.004 }, { tokens: 0, costUsd: 0.0011 }, next)).toMatch(/cost budget/);
    expect(budgetShortfall({}, { tokens: 1e12, costUsd: 1e9 }, next)).toBeNull();
  });
});
