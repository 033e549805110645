// Shared by the benchmark parts: temp dirs, an instant model, the plan, and median/min/max.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (file) => path.join(root, 'dist', file);

export function tempDir(prefix = 'autopack-bench-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A plan of `n` phases, each creating one small file. */
export function smallFilePlan(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    description: `Create file f${i}.txt`,
    category: 'feature',
    complexity: 'low',
    acceptance_criteria: ['the file exists'],
    deliverables: [`f${i}.txt`],
  }));
}

/** Answers at once with the file the phase asks for: the model costs nothing, so what is left is ours. */
export const instantModel = {
  model: 'gpt-4o-mini',
  async complete(request) {
    const file = /Create file (f\d+\.txt)/.exec(request.messages[1].content)?.[1] ?? 'x.txt';
    return {
      content: JSON.stringify({ summary: `create ${file}`, files: [{ path: file, mode: 'create', new_content: `content of ${file}\n` }] }),
      finishReason: 'stop',
      usage: { promptTokens: 400, completionTokens: 40 },
    };
  },
};

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

export function dbBytes(dbPath) {
  return ['', '-wal', '-shm'].reduce((n, suffix) => n + (fs.existsSync(dbPath + suffix) ? fs.statSync(dbPath + suffix).size : 0), 0);
}
