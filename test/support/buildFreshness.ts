import fs from 'node:fs';
import path from 'node:path';

/** The newest modification time under `target` (itself included), and the path that has it. */
function newest(target: string): { path: string; mtimeMs: number } {
  const stat = fs.statSync(target);
  let found = { path: target, mtimeMs: stat.mtimeMs };
  if (!stat.isDirectory()) return found;
  // A directory's own time moves when an entry is added, removed or renamed, so deletions count too.
  for (const entry of fs.readdirSync(target)) {
    const inner = newest(path.join(target, entry));
    if (inner.mtimeMs > found.mtimeMs) found = inner;
  }
  return found;
}

/**
 * Why `output` must be rebuilt from `inputs` (files or directories, walked for modification times), or
 * undefined when it is at least as new as every one of them. Paths are relative to `root`, and so is the
 * reason. Reads only metadata: no hashing, no build.
 */
export function staleBuildReason(root: string, inputs: readonly string[], output: string): string | undefined {
  let built: number;
  try {
    built = fs.statSync(path.join(root, output)).mtimeMs;
  } catch {
    return `${output} is missing`;
  }
  for (const input of inputs) {
    const latest = newest(path.join(root, input));
    if (latest.mtimeMs > built) return `${path.relative(root, latest.path)} is newer than ${output}`;
  }
  return undefined;
}
