import fs from 'node:fs';
import path from 'node:path';

/** autopack's own folder in a repository. */
export function runsDirOf(repoRoot: string): string {
  return path.join(repoRoot, '.autonomous_runs');
}

/**
 * Creates `.autonomous_runs/` with its own `.gitignore` holding `*` (as pytest's and ruff's caches do)
 * before anything else goes in, so nothing of autopack's ever shows in `git status`. Cheap when it exists.
 */
export function ensureRunsDir(repoRoot: string): string {
  const dir = runsDirOf(repoRoot);
  const ignore = path.join(dir, '.gitignore');
  if (fs.existsSync(ignore)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(ignore, '# autopack: the event log, pre-images and worktrees; never committed\n*\n', { flag: 'w' });
  return dir;
}
