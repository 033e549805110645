import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema } from '../../src/index.js';
import { readTree, scriptedScratch } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const PLAN = `health_checks:
  - name: a in place
    command: test -f src/a.txt
phases:
  - id: write-a
    description: Create src/a.txt and update the README.
    category: feature
    complexity: low
    acceptance_criteria: [src/a.txt exists]
    deliverables: [src/a.txt, README.md]
`;

const INITIAL = { 'README.md': '# demo\n', 'src/keep.txt': 'keep\n' };
const FINAL = { 'README.md': '# demo\n\nNow with a.txt.\n', 'src/keep.txt': 'keep\n', 'src/a.txt': 'A\n' };

/** The model spells its paths with `./` and `..`, as models do. */
const SCRIPT = [
  {
    response: {
      summary: 'a and README',
      files: [
        { path: './src/a.txt', mode: 'create', new_content: 'A\n' },
        { path: './src/../README.md', mode: 'modify', new_content: '# demo\n\nNow with a.txt.\n' },
      ],
    },
  },
];

describe('a crash mid-apply of ./ paths (child processes, SIGKILL)', () => {
  it.each([1, 2])('resumes after a kill following rename %i, to the same tree as an uninterrupted run', async (renamed) => {
    const { repo, plan, llm } = scriptedScratch(tempDir('autopack-dotpath-'), { initial: INITIAL, plan: PLAN, script: SCRIPT });

    const killed = await runCli(['run', plan, '--repo', repo, ...llm, '--json'], { env: { AUTOPACK_CRASH_AT: `apply:${renamed}` } });
    expect(killed.code, killed.stderr).not.toBe(0);
    // Killed between the renames and changes.applied: at least one file is already in its new state.
    expect(readTree(repo)['src/a.txt']).toBe('A\n');

    const resumed = await runCli(['resume', '--last', '--repo', repo, ...llm, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(resumed.stdout));
    expect(result).toMatchObject({ status: 'succeeded', successful_phases: 1, failed_phases: 0 });
    const tree = readTree(repo);
    expect(Object.keys(tree).filter((file) => file.includes('.autopack-'))).toEqual([]);
    expect(tree).toEqual(FINAL);
  }, 60_000);
});
