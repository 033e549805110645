import fs from 'node:fs';
import path from 'node:path';
import type { HealthCheckResult } from '../model/results.js';

export interface CheckDeliverablesInput {
  repoRoot: string;
  deliverables: readonly string[];
  writtenPaths: readonly string[];
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Every deliverable must exist as a file; a same-named file written elsewhere is pointed out. */
export function checkDeliverables(input: CheckDeliverablesInput): HealthCheckResult {
  const started = performance.now();
  const problems = input.deliverables
    .filter((deliverable) => !isFile(path.resolve(input.repoRoot, deliverable)))
    .map((missing) => {
      const sameName = input.writtenPaths.filter((written) => path.posix.basename(written) === path.posix.basename(missing));
      return sameName.length > 0
        ? `missing deliverable ${missing} (a file with that name was written at ${sameName.join(', ')}; write it at the exact path)`
        : `missing deliverable ${missing}`;
    });
  return {
    name: 'deliverables',
    passed: problems.length === 0,
    exit_code: null,
    duration: (performance.now() - started) / 1000,
    output_tail: problems.join('\n'),
    timed_out: false,
  };
}
