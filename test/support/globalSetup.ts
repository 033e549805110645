import { spawn } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { staleBuildReason } from './buildFreshness.js';
import { startPostgresCluster, type PostgresCluster } from './postgresCluster.mjs';
import { cliPath, projectRoot } from './runCli.js';

/** Runs one step of the build, failing with its output. */
function step(args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`the build of dist/ for the tests failed (${what} exited ${code}); fix it or run npm run build to see it:\n${output}`));
    });
  });
}

/** The build `npm run build` runs: tsc, then the CLI bundle the `autopack` command starts from. */
async function build(): Promise<void> {
  await step([path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], 'tsc -p tsconfig.build.json');
  await step([path.join(projectRoot, 'scripts', 'bundle-cli.mjs')], 'node scripts/bundle-cli.mjs');
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL database the store tests may use, or '' with `pgUnavailable` saying why. */
    pgUrl: string;
    pgUnavailable: string;
  }
}

/**
 * The PostgreSQL store is tested against a real server: AUTOPACK_TEST_PG_URL when set, else a throwaway
 * cluster started here and stopped after the run. Without PostgreSQL installed, only the tests that need
 * it fail, saying how to get it.
 */
async function providePostgres(project: TestProject): Promise<PostgresCluster | null> {
  const given = process.env['AUTOPACK_TEST_PG_URL'];
  if (given !== undefined && given !== '') {
    project.provide('pgUrl', given);
    project.provide('pgUnavailable', '');
    return null;
  }
  try {
    const cluster = await startPostgresCluster();
    project.provide('pgUrl', cluster.url);
    project.provide('pgUnavailable', '');
    return cluster;
  } catch (error) {
    project.provide('pgUrl', '');
    project.provide('pgUnavailable', error instanceof Error ? error.message : String(error));
    return null;
  }
}

/**
 * End-to-end tests spawn dist/cli.js, so `vitest run` alone must not test a stale build: when any source
 * or build config is newer than dist/cli.js (or it is missing), build first. `npm test` has just built,
 * and then this costs one walk of modification times.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reason = staleBuildReason(projectRoot, ['src', 'tsconfig.json', 'tsconfig.build.json'], path.relative(projectRoot, cliPath));
  if (reason !== undefined) {
    console.log(`building dist/ for the tests: ${reason}`);
    await build();
  }
  const cluster = await providePostgres(project);
  return async () => {
    await cluster?.stop();
  };
}
