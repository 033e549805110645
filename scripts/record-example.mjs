// `npm run example:record`: re-records examples/greeter/recording.jsonl after autopack's prompt changed.
// The answers stay the same (served in their recorded order); only the requests, and so their keys, are
// recorded anew, so `npm run example` keeps replaying offline.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples', 'greeter');
const recording = path.join(example, 'recording.jsonl');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'autopack-record-'));
fs.cpSync(path.join(example, 'repo'), path.join(scratch, 'repo'), { recursive: true });

const answers = fs
  .readFileSync(recording, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line).response);
const script = path.join(scratch, 'answers.json');
fs.writeFileSync(script, JSON.stringify(answers, null, 2));

const fresh = path.join(scratch, 'recording.jsonl');
const args = ['run', path.join(example, 'plan.yaml'), '--repo', path.join(scratch, 'repo'), '--llm', `scripted:${script}`, '--record', fresh];
const run = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { stdio: 'inherit' });
if (run.status !== 0) {
  process.stderr.write(`\nthe run failed (exit ${run.status}); ${recording} is unchanged\n`);
  process.exit(run.status ?? 1);
}
// Timestamps would make every re-record a diff; the answers are what matter.
const lines = fs
  .readFileSync(fresh, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.stringify({ ...JSON.parse(line), recordedAt: '2026-01-01T00:00:00.000Z' }));
fs.writeFileSync(recording, `${lines.join('\n')}\n`);
process.stderr.write(`\nwrote ${lines.length} exchanges to ${recording}\n`);
