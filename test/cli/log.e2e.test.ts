import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finishedExampleRun } from '../support/finishedRun.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const GREET_DIFF = [
  '--- /dev/null',
  '+++ b/src/greet.js',
  '@@ -0,0 +1,5 @@',
  "+import { defaultName } from './names.js';",
  '+',
  '+export function greet(name = defaultName) {',
  '+  return `Hello, ${name}!`;',
  '+}',
].join('\n');

const README_DIFF = [
  '--- a/README.md',
  '+++ b/README.md',
  '@@ -1,3 +1,12 @@',
  ' # greeter',
  ' ',
  " A tiny sample repository for autopack's example plan.",
  '+',
  '+## Usage',
  '+',
  '+```js',
  "+import { greet } from './src/greet.js';",
  '+',
  "+greet();      // 'Hello, world!'",
  "+greet('Ada'); // 'Hello, Ada!'",
  '+```',
].join('\n');

describe('autopack log --diff (child process, the example run)', () => {
  it("prints each applied file's unified diff under its changes.applied line, and says so when a pre-image is gone", async () => {
    const { repo, runId } = await finishedExampleRun(tempDir());
    const plain = await runCli(['log', runId, '--repo', repo]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('+++ ');

    const log = await runCli(['log', runId, '--repo', repo, '--diff']);
    expect(log.code).toBe(0);
    // Each diff follows its own event's line: phase 0 created src/greet.js, phase 1 modified README.md.
    expect(log.stdout).toMatch(new RegExp(`phase-0 +changes\\.applied .*src/greet\\.js\\n${escape(GREET_DIFF)}\\n +\\d+ `));
    expect(log.stdout).toMatch(new RegExp(`phase-1 +changes\\.applied .*README\\.md\\n${escape(README_DIFF)}\\n +\\d+ `));

    // README.md's pre-image was kept in the run's backup folder; with that folder gone, a line says so.
    // The created file needs no pre-image, so its diff is still shown.
    const backups = path.join(repo, '.autonomous_runs', 'backups', runId);
    expect(fs.existsSync(path.join(backups, 'phase-1-attempt-1', '0'))).toBe(true);
    fs.rmSync(backups, { recursive: true });
    const cleaned = await runCli(['log', runId, '--repo', repo, '--diff']);
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toContain(GREET_DIFF);
    expect(cleaned.stdout).not.toContain('+++ b/README.md');
    expect(cleaned.stdout).toContain(
      `No diff for README.md: its pre-image is no longer in ${path.join(backups, 'phase-1-attempt-1', '0')} (the attempt's backup folder was removed, or is on another machine)`,
    );
  });

  it('refuses --diff with --json, saying where the diffs are as data', async () => {
    const both = await runCli(['log', 'run-any', '--repo', tempDir(), '--diff', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--diff prints unified diffs as text and --json prints events as data: use one');
    expect(both.stdout).toBe('');
  });
});
