// CommonJS (.cts), like the launcher that uses it (src/bin.cts): node starts a CommonJS entry without
// initialising its ESM loader, ~10 ms here.
import fs = require('node:fs');
import nodeModule = require('node:module');
import os = require('node:os');
import path = require('node:path');
import vm = require('node:vm');

type Env = Readonly<Record<string, string | undefined>>;

interface CodeCacheOptions {
  /**
   * Which kind of start this is, e.g. the command's name. V8 caches only the functions a process has
   * compiled, so each kind keeps a cache of its own, made by the first start of that kind.
   */
  kind: string;
  /** Kinds that run much the same code, whose cache serves until this kind has its own. */
  related?: readonly string[];
  /** Where caches are kept; undefined runs without one. */
  dir: string | undefined;
  /** A process still running after this long writes its cache then, so a long run that dies leaves one. */
  writeAfterMs?: number;
}

/**
 * The user's own cache folder, never a shared one: V8 runs the code a cache holds, so a folder another
 * user can write to would let them run code as this one. NODE_DISABLE_COMPILE_CACHE, node's own switch for
 * its compile cache, turns this one off too.
 */
function codeCacheDir(env: Env = process.env): string | undefined {
  if (env['NODE_DISABLE_COMPILE_CACHE'] !== undefined && env['NODE_DISABLE_COMPILE_CACHE'] !== '') return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'autopack', 'code-cache');
  try {
    return path.join(os.homedir(), '.cache', 'autopack', 'code-cache');
  } catch {
    return undefined; // no home folder (a service account without one): run without a cache
  }
}

/** FNV-1a, 32 bits: a short, stable name for a path (not a defence; the cache folder is the user's own). */
function pathHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * What a cache is made for: V8 checks only that a source has the same length, so a cache met by another
 * build of the same length would run that build's code. The build names its content in the file's last
 * line (scripts/bundle-cli.mjs); a file without one is known by its size and time.
 */
function buildId(source: string, stat: fs.Stats): string {
  const named = /\/\/# autopack-build=([0-9a-f]+)\s*$/.exec(source.slice(-64))?.[1];
  return named ?? `${stat.size}-${Math.trunc(stat.mtimeMs)}`;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache once, atomically (temp file, rename), and drops the caches of older builds of this kind. */
function writeCache(script: vm.Script, dir: string, name: string, prefix: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData());
    fs.renameSync(temp, file);
    for (const other of fs.readdirSync(dir)) {
      if (other.startsWith(prefix) && other !== name) fs.rmSync(path.join(dir, other), { force: true });
    }
  } catch {
    // A cache only saves time: a command never fails for want of one.
  }
}

/**
 * Loads a CommonJS file the way `require` would, but compiled with a V8 code cache: with one, V8 neither
 * parses the file nor compiles the functions the last start of this kind ran. Without one (first start,
 * another node, another build), it compiles as usual and writes the cache for the next start. V8 refuses
 * a cache made by another V8; the name holds the node version and the build (buildId).
 */
function requireWithCodeCache(file: string, options: CodeCacheOptions): unknown {
  const fd = fs.openSync(file, 'r');
  let source: string;
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  // One slot per installed file and kind: two checkouts never evict each other's cache.
  const prefixOf = (kind: string) => `${path.basename(file)}-${pathHash(file)}-${kind.replace(/[^a-z0-9-]/gi, '_')}-`;
  const build = `${process.version}-${process.arch}-${buildId(source, stat)}.bin`;
  const prefix = prefixOf(options.kind);
  const name = `${prefix}${build}`;
  const dir = options.dir;
  const own = dir === undefined ? undefined : readIfPresent(path.join(dir, name));
  let cachedData = own;
  for (const kind of options.related ?? []) {
    if (dir === undefined || cachedData !== undefined) break;
    cachedData = readIfPresent(path.join(dir, `${prefixOf(kind)}${build}`));
  }
  // The wrapper node puts around a CommonJS module, so the file sees exports, require, module, __filename.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  run(module.exports, nodeModule.createRequire(file), module, file, path.dirname(file));
  if (dir !== undefined && (own === undefined || script.cachedDataRejected === true)) {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      writeCache(script, dir, name, prefix);
    };
    process.once('exit', write);
    setTimeout(write, options.writeAfterMs ?? 2000).unref();
  }
  return module.exports;
}

export = { codeCacheDir, requireWithCodeCache };
