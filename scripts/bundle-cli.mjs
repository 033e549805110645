// Part of `npm run build`, after tsc: bundles the CLI (dist/cli/main.js) and its dependencies into one
// CommonJS file, dist/cli.bundle.cjs, that dist/cli.js runs with a V8 code cache (src/cli/codeCache.ts).
// One file, because resolving, reading and compiling the ~400 modules of the unbundled CLI was most of
// a resume's latency (issue #12). CommonJS, because node 20 can give a code cache only to a vm.Script.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outfile: path.join(root, 'dist', 'cli.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // A native addon cannot be bundled; the tokenizer's 3 MB of tables are loaded only near a prompt budget.
  external: ['better-sqlite3', 'gpt-tokenizer'],
  // The lazy `import()`s of commands and of the model SDK become lazy initialisers inside the bundle (and
  // require() for the externals), so the bundle never needs node's ESM loader.
  supported: { 'dynamic-import': false },
  // Smaller to read on every start; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
