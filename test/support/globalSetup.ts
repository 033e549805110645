import { spawn } from 'node:child_process';
import path from 'node:path';
import { staleBuildReason } from './buildFreshness.js';
import { cliPath, projectRoot } from './runCli.js';

/** Runs the build `npm run build` runs, failing with the compiler's output. */
function build(): Promise<void> {
  const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`the build of dist/ for the tests failed (tsc -p tsconfig.build.json exited ${code}); fix it or run npm run build to see it:\n${output}`));
    });
  });
}

/**
 * End-to-end tests spawn dist/cli.js, so `vitest run` alone must not test a stale build: when any source
 * or build config is newer than dist/cli.js (or it is missing), build first. `npm test` has just built,
 * and then this costs one walk of modification times.
 */
export default async function setup(): Promise<void> {
  const reason = staleBuildReason(projectRoot, ['src', 'tsconfig.json', 'tsconfig.build.json'], path.relative(projectRoot, cliPath));
  if (reason === undefined) return;
  console.log(`building dist/ for the tests: ${reason}`);
  await build();
}
