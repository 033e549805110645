import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { fromCallLlm } from '../../src/effects/callLlm.js';
import { RESPONSE_JSON_SCHEMA } from '../../src/llm/prompts/phasePrompt.js';
import { ScriptedLLMClient } from '../../src/llm/scriptedClient.js';
import type { CallLlmInput } from '../../src/machines/effectContracts.js';
import { DEFAULT_MAX_PROMPT_TOKENS, DEFAULT_OUTPUT_TOKENS, type LlmSettings } from '../../src/model/llmSettings.js';
import { spec } from '../support/phaseSpecs.js';
import { answer, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** Runs the real callLlm effect once with the given formats (as a new run records them), returning the one request sent. */
async function requestWith(
  formats: Pick<LlmSettings, 'editFormat' | 'answerFormat'>,
  { maxPromptTokens = DEFAULT_MAX_PROMPT_TOKENS, deliverables = ['src/small.ts', 'src/long.ts', 'src/new.ts'] } = {},
) {
  const repo = tempDir();
  const long = Array.from({ length: 200 }, (_, i) => `export const n${i} = ${i};`).join('\n') + '\n';
  // Long enough to be cut short under a small prompt budget: its heading must still count all its lines.
  const huge = Array.from({ length: 3000 }, (_, i) => `// note ${i}: ${'detail '.repeat(8)}`).join('\n') + '\n';
  writeTree(repo, { 'src/small.ts': 'export const small = 1;\n', 'src/long.ts': long, 'docs/huge.md': huge });
  const llmClient = new ScriptedLLMClient([{ content: answer('ok', []) }]);
  const logic = fromCallLlm({
    clock: () => 0,
    llmClient,
    repoRoot: repo,
    llm: { maxPromptTokens, outputTokens: DEFAULT_OUTPUT_TOKENS, budget: {}, prices: {}, editFormat: 'auto', answerFormat: 'json', ...formats },
    spent: () => ({ tokens: 0, costUsd: 0 }),
    onLlmAttempt: () => {},
    interrupt: () => {},
  });
  const input: CallLlmInput = {
    phaseIndex: 0,
    attempt: 1,
    spec: spec('p', deliverables),
    contextFiles: ['docs/huge.md'],
    protectedPaths: [],
    previousErrors: [],
  };
  const outcome = await toPromise(createActor(logic, { input }).start());
  expect(outcome.ok).toBe(true);
  const request = llmClient.requests[0];
  if (request === undefined) throw new Error('no request was sent');
  const text = (role: string) => request.messages.find((m) => m.role === role)?.content ?? '';
  return { request, system: text('system'), user: text('user'), context: outcome.ok ? outcome.value.context : [] };
}

describe('callLlm asks in the formats its deps name', () => {
  it("with a new run's defaults (auto, json) asks for JSON with the schema, and edits only for the file above the threshold", async () => {
    const { request, system, user } = await requestWith({});
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'phase_changes', schema: RESPONSE_JSON_SCHEMA });
    expect(system).toContain('Reply with one JSON object');
    expect(user).toContain('# Files to change with edits\nIf you change one of these files, change it with edits; send any other file whole.\n- src/long.ts (200 lines)\n- docs/huge.md (3000 lines)\n\n');
    expect(user).toContain('- src/new.ts (new: send it whole)');
  });

  it('asks for markdown without the JSON schema', async () => {
    const { request, system } = await requestWith({ answerFormat: 'markdown' });
    expect(request.responseFormat).toBeUndefined();
    expect(system).toContain('in markdown, never in JSON');
  });

  it('passes the edit format through: whole asks for no edits at all', async () => {
    const { system, user } = await requestWith({ editFormat: 'whole' });
    expect(system).not.toContain('"edit"');
    expect(user).not.toContain('# Files to change with edits');
  });

  it('asks a run logged before edits existed (no formats recorded) for whole files in JSON, as it did then', async () => {
    const { request, system, user } = await requestWith({ editFormat: undefined, answerFormat: undefined });
    expect(request.responseFormat).toBeDefined();
    expect(system).not.toContain('"edit"');
    expect(user).not.toContain('# Files to change with edits');
  });

  it('keeps a file the budget cut short, counting its lines from the whole file', async () => {
    // The only file above the threshold is the optional one: asking for edits must not push it out.
    const { user, system, context } = await requestWith({}, { maxPromptTokens: 6000, deliverables: ['src/small.ts'] });
    expect(context.find((c) => c.path === 'docs/huge.md')?.cut?.kind).toBe('truncated');
    expect(user).toContain('## docs/huge.md\n');
    expect(user).toContain('- docs/huge.md (3000 lines)');
    expect(system).toContain('"mode": "create" | "modify" | "delete" | "edit"');
  });
});
