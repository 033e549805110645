import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A command as printed, typed into a shell where the user stands (the clone's root). */
const typed = (line: string): Promise<Ran> => run('/bin/sh', ['-c', line]);

describe('the commands autopack prints for the user to type work from a clone (no autopack on PATH)', () => {
  it('npm run example prints its own command and its suggestions as the CLI prints its suggestions, and they run', async () => {
    const example = await run(process.execPath, [path.join(projectRoot, 'scripts', 'run-example.mjs')], { INIT_CWD: projectRoot });
    const scratch = /scratch copy: (\S+)/.exec(example.stderr)?.[1];
    try {
      expect(example.code, example.stderr).toBe(0);
      expect(example.stderr).toContain('$ node dist/cli.js run ');
      // The CLI's own suggestion (its summary) and the script's are written the same way.
      const output = example.stdout + example.stderr;
      const suggestions = [...output.matchAll(/(?:Log|Look at it|take the run back|or in a browser): (.+)$/gm)].map((m) => m[1] ?? '');
      expect(suggestions, output).toHaveLength(4);
      for (const line of suggestions) expect(line).toMatch(/^node dist\/cli\.js (log|status|undo|inspect) /);
      expect(output).not.toMatch(/(^\$|: )autopack /m);
      for (const line of suggestions.filter((l) => / (log|status) /.test(l))) {
        const ran = await typed(line);
        expect(ran.code, `${line}\n${ran.stderr}`).toBe(0);
      }
    } finally {
      if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('through npx, the CLI suggests npx autopack, which resolves the package\'s own bin in the clone', async () => {
    const dir = tempDir();
    // Offline, with a cache of its own: npx must find autopack in this clone, never fetch one.
    const resume = await run('npx', ['--offline', 'autopack', 'resume', '--db', path.join(dir, 'autopack.db')], { npm_config_cache: path.join(dir, 'npm-cache') });
    expect(resume.code, resume.stderr).toBe(2);
    expect(resume.stderr).toContain('name the run to resume (`npx autopack runs` lists them), or pass --last');
  });
});
