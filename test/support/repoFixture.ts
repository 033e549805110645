import fs from 'node:fs';
import path from 'node:path';

/** Writes files (path → content) under root, creating directories. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

/** Every regular file under root (path → content), skipping autopack's own state and .git. */
export function readTree(root: string, skip: readonly string[] = ['.autonomous_runs', '.git']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (skip.some((s) => relative === s || relative.startsWith(`${s}/`))) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out[relative] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** A model answer in the JSON contract. */
export function answer(summary: string, files: { path: string; mode: 'create' | 'modify' | 'delete'; new_content?: string | null }[]): string {
  return JSON.stringify({ summary, files });
}

/**
 * A scratch folder for a CLI test with a scripted model: the repository (with `initial`), the plan file and
 * the answers file, and the `--llm` flags that use them.
 */
export function scriptedScratch(dir: string, files: { initial: Record<string, string>; plan: string; script: unknown }): { repo: string; plan: string; llm: string[] } {
  const repo = path.join(dir, 'repo');
  writeTree(repo, files.initial);
  const plan = path.join(dir, 'plan.yaml');
  fs.writeFileSync(plan, files.plan);
  const script = path.join(dir, 'answers.json');
  fs.writeFileSync(script, JSON.stringify(files.script));
  return { repo, plan, llm: ['--llm', `scripted:${script}`] };
}
