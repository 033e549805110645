import { describe, expect, it } from 'vitest';
import { PhaseExecutor, PhaseOrchestrator, ScriptedLLMClient, createSqliteEventStore } from '../../src/index.js';
import { sha256 } from '../../src/workspace/index.js';
import { eventDetail } from '../../src/inspect/runsApi.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const fastBackoff = { initialMs: 1, maxMs: 5, multiplier: 2 };

/** A file long enough that `auto` asks for edits: 400 numbered lines. */
const BIG = Array.from({ length: 400 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

function setup(steps: ConstructorParameters<typeof ScriptedLLMClient>[0], options: { answerFormat?: 'json' | 'markdown' } = {}) {
  const repo = tempDir();
  writeTree(repo, { 'big.txt': BIG, 'README.md': '# demo\n' });
  const llm = new ScriptedLLMClient(steps);
  const executor = new PhaseExecutor({ llmClient: llm, repoRoot: repo, backoff: fastBackoff, ...options });
  return { repo, llm, executor };
}

const editAnswer = (search: string, replace: string) =>
  JSON.stringify({ summary: 'edit big', files: [{ path: 'big.txt', mode: 'edit', edits: [{ search, replace }] }] });

async function events(executor: PhaseExecutor, runId: string) {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return await store.read(runId);
  } finally {
    store.close();
  }
}

describe('a run whose model answers with search/replace edits', () => {
  it('edits the file, logs the hashes it went from and to, and the inspector shows a one-line diff', async () => {
    const { repo, executor } = setup([{ content: editAnswer('line 200\n', 'line two hundred\n') }]);
    const result = await new PhaseOrchestrator({ executor }).runPhases([spec('one', ['big.txt'])]);
    expect(result).toMatchObject({ successful_phases: 1 });
    const after = BIG.replace('line 200\n', 'line two hundred\n');
    expect(readTree(repo)['big.txt']).toBe(after);
    const log = await events(executor, result.run_id);
    const applied = log.find((e) => e.type === 'changes.applied');
    expect(applied?.type === 'changes.applied' && applied.data.outcome.ok && applied.data.outcome.value.files).toEqual([
      { path: 'big.txt', mode: 'edit', existedBefore: true, beforeSha256: sha256(BIG), afterSha256: sha256(after), bytes: Buffer.byteLength(after) },
    ]);
    const file = eventDetail(log, applied?.seq ?? 0)?.files?.[0];
    expect(file).toMatchObject({ kind: 'text', path: 'big.txt', mode: 'edit', status: 'modified', minimal: true });
    expect(file?.kind === 'text' && file.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.lines.filter((l) => l.op !== ' ')])).toEqual([
      [
        197,
        7,
        197,
        7,
        [
          { op: '-', text: 'line 200' },
          { op: '+', text: 'line two hundred' },
        ],
      ],
    ]);
    executor.close();
  });

  it('feeds a search that matches nowhere back to the model, quoting the closest lines, and leaves the file untouched until the retry', async () => {
    const { repo, llm, executor } = setup([{ content: editAnswer('line 2000\n', 'x\n') }, { content: editAnswer('line 20\n', 'line twenty\n') }]);
    const result = await new PhaseOrchestrator({ executor }).runPhases([spec('one', ['big.txt'])]);
    expect(result).toMatchObject({ successful_phases: 1 });
    expect(result.phase_results[0]?.retry_count).toBe(1);
    const retryPrompt = llm.requests[1]?.messages.map((m) => m.content).join('\n') ?? '';
    expect(retryPrompt).toMatch(/edits\[0\][^\n]*big\.txt/);
    expect(retryPrompt).toMatch(/line 200/);
    expect(readTree(repo)['big.txt']).toBe(BIG.replace('line 20\n', 'line twenty\n'));
    executor.close();
  });

  it('asks for markdown when told to, and applies a markdown answer with SEARCH/REPLACE blocks and a new whole file', async () => {
    const markdown = [
      'Renumber two lines of big.txt and add notes.',
      '',
      'big.txt',
      '```',
      '<<<<<<< SEARCH',
      'line 10',
      '=======',
      'line ten',
      '>>>>>>> REPLACE',
      '```',
      '',
      'And further down:',
      '',
      'big.txt',
      '```',
      '<<<<<<< SEARCH',
      'line 390',
      'line 391',
      '=======',
      'line 390 and 391',
      '>>>>>>> REPLACE',
      '```',
      '',
      '**notes.md**',
      '```markdown',
      '# Notes',
      '```',
      '',
      '`README.md`:',
      '```markdown',
      '# demo',
      '',
      'more',
      '```',
    ].join('\n');
    const { repo, llm, executor } = setup([{ content: markdown }], { answerFormat: 'markdown' });
    const result = await new PhaseOrchestrator({ executor }).runPhases([spec('one', ['big.txt', 'notes.md'])]);
    expect(result).toMatchObject({ successful_phases: 1 });
    const request = llm.requests[0];
    expect(request?.responseFormat).toBeUndefined();
    expect(request?.messages[0]?.content).toContain('in markdown, never in JSON');
    expect(request?.messages[1]?.content).toContain('# Files to change with edits');
    expect(readTree(repo)).toMatchObject({
      'big.txt': BIG.replace('line 10\n', 'line ten\n').replace('line 390\nline 391\n', 'line 390 and 391\n'),
      'notes.md': '# Notes\n',
      'README.md': '# demo\n\nmore\n',
    });
    const log = await events(executor, result.run_id);
    const parsed = log.find((e) => e.type === 'response.parsed');
    expect(parsed?.type === 'response.parsed' && parsed.data.outcome.ok && parsed.data.outcome.value.files.map((f) => [f.path, f.mode, f.edits?.length ?? 0])).toEqual([
      ['big.txt', 'edit', 2],
      ['notes.md', 'create', 0],
      // A whole file in markdown is a modify when it exists: the checks for a modify (mass deletion) apply.
      ['README.md', 'modify', 0],
    ]);
    executor.close();
  });
});
