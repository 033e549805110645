#!/usr/bin/env node
// The `autopack` command (package.json bin). `npm run build` also bundles the CLI and its dependencies
// into one file, dist/cli.bundle.cjs (scripts/bundle-cli.mjs), run here with a V8 code cache: node then
// neither resolves, reads nor compiles a graph of hundreds of modules, which was most of a resume's
// latency (issue #12). Without a current bundle (tsc alone, as the tests' setup builds), the modules tsc
// emitted run as they are. CommonJS, so that node need not start its ESM loader for the bundled path.
import type * as Main from './cli/main.js' with { 'resolution-mode': 'import' };
import fs = require('node:fs');
import path = require('node:path');
import codeCache = require('./cli/codeCache.cjs');

type CliMain = typeof Main.main;

const bundle = path.join(__dirname, 'cli.bundle.cjs');

/** tsc rewrites this file on every build and the bundle is made after it: an older bundle is stale. */
function bundleIsCurrent(): boolean {
  try {
    return fs.statSync(bundle).mtimeMs >= fs.statSync(__filename).mtimeMs;
  } catch {
    return false;
  }
}

function bundledMain(): CliMain {
  // Each command keeps a cache of the code it runs: `status` compiles none of what `resume` needs.
  const command = process.argv[2];
  const kind = command !== undefined && /^[a-z]+$/.test(command) ? command : 'other';
  // A resume runs what its run ran: until it has a cache of its own it starts from the run's (a run that
  // died has left one), and the other way round.
  const related = kind === 'resume' ? ['run'] : kind === 'run' ? ['resume'] : [];
  const loaded = codeCache.requireWithCodeCache(bundle, { kind, related, dir: codeCache.codeCacheDir() }) as { main?: unknown };
  if (typeof loaded.main !== 'function') throw new Error(`${bundle} does not export main(); rebuild it with npm run build`);
  return loaded.main as CliMain;
}

const main: Promise<CliMain> = bundleIsCurrent() ? Promise.resolve().then(bundledMain) : import('./cli/main.js').then((m) => m.main);
main
  .then((run) => run(process.argv))
  .catch((error: unknown) => {
    // main() reports every error of a command itself; this is a broken install or build.
    process.stderr.write(`autopack: cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 4;
  });
