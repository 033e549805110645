// Part of `npm run build`, after tsc: bundles the CLI (dist/cli/main.js) and its dependencies into one
// CommonJS file, dist/cli.bundle.cjs, that dist/cli.js runs with a V8 code cache (src/cli/codeCache.ts).
// One file, because resolving, reading and compiling the ~400 modules of the unbundled CLI was most of
// a resume's latency (issue #12). CommonJS, because node 20 can give a code cache only to a vm.Script.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * better-sqlite3's JavaScript is bundled like the rest (resolving and compiling its files took ~12 ms of
 * every start; its native addon alone loads in ~1 ms). It finds the addon with `bindings`, which guesses
 * the package's folder from the caller's file: from the bundle it would search beside dist/. So the bundle
 * names the folder, where the package is installed, and `bindings` searches there as it always does.
 */
const betterSqliteAddon = {
  name: 'better-sqlite3-addon',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /better-sqlite3[\\/]lib[\\/]database\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const call = "require('bindings')('better_sqlite3.node')";
      if (!source.includes(call)) {
        throw new Error(`${args.path} no longer loads its addon with ${call}: update the better-sqlite3-addon plugin in scripts/bundle-cli.mjs`);
      }
      const located = "require('bindings')({ bindings: 'better_sqlite3.node', module_root: require('node:path').dirname(require.resolve('better-sqlite3/package.json')) })";
      return { contents: source.replace(call, located), loader: 'js' };
    });
  },
};

const { outputFiles } = await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outfile: path.join(root, 'dist', 'cli.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The tokenizer's 3 MB of tables are loaded only near a prompt budget: not read on every start.
  external: ['gpt-tokenizer', 'better-sqlite3/package.json'],
  plugins: [betterSqliteAddon],
  // The `openai` SDK's uses of the global Headers and FormData get stand-ins that do not load node's fetch
  // engine, and its globalThis.ReadableStream one that does not load web streams (src/cli/bundleGlobals.ts):
  // with nodeFetch, a model request then loads neither.
  inject: [path.join(root, 'dist', 'cli', 'bundleGlobals.js')],
  define: { 'globalThis.ReadableStream': 'LazyReadableStream' },
  // The lazy `import()`s of commands and of the model SDK become lazy initialisers inside the bundle (and
  // require() for the externals), so the bundle never needs node's ESM loader.
  supported: { 'dynamic-import': false },
  // Smaller to read on every start; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  write: false,
});

// The bundle's last line names its content: the code cache is keyed by it (src/cli/codeCache.cts), since
// V8 checks only a source's length, and npm gives every installed file the same time.
for (const file of outputFiles) {
  // esbuild escapes non-ASCII text, except where an escape would change a value (inside String.raw). One
  // such character makes node decode the whole file as a two-byte string: ~5 ms more on every start.
  const nonAscii = /[^\x00-\x7f]/.exec(file.text);
  if (nonAscii !== null && file.path.endsWith('.cjs')) {
    const around = file.text.slice(Math.max(0, nonAscii.index - 60), nonAscii.index + 20);
    throw new Error(`${file.path}: non-ASCII ${JSON.stringify(nonAscii[0])} in ${JSON.stringify(around)}; spell it as an escape (\\u${nonAscii[0].charCodeAt(0).toString(16).padStart(4, '0')}) in the source`);
  }
  const text = file.path.endsWith('.cjs') ? `${file.text}//# autopack-build=${createHash('sha256').update(file.text).digest('hex').slice(0, 16)}\n` : file.text;
  fs.writeFileSync(file.path, text);
}
