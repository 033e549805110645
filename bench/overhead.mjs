// 1, 2 and 5: autopack's own cost per phase (instant model, no health-check commands), the floor for the
// same work done with raw better-sqlite3 and plain file writes, and the log's size per phase.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { dbBytes, dist, instantModel, smallFilePlan, tempDir } from './lib.mjs';

const { PhaseExecutor, createMemoryEventStore, createSqliteEventStore } = await import(dist('index.js'));

/**
 * A log that keeps nothing: appends check the version and number the events, and that is all (no copy, no
 * lease check). Run through it, autopack's phase costs what autopack itself costs, besides any log.
 */
export function nullLog() {
  const inner = createMemoryEventStore();
  let version = 0;
  return {
    ...inner,
    async append(stream, events, { expectedVersion }) {
      if (expectedVersion !== version) throw new Error(`expected version ${expectedVersion}, the log is at ${version}`);
      const stored = events.map((event, i) => ({ ...event, stream, seq: version + i + 1, position: version + i + 1 }));
      version += events.length;
      return stored;
    },
    version: async () => version,
    read: async () => [],
  };
}

/**
 * Runs the plan through PhaseExecutor; returns ms per phase, events per phase, bytes per phase, and the rows.
 * With `eventStore` (a PostgreSQL log, say) the run is logged there instead of a fresh SQLite file, and no
 * size is measured.
 */
export async function ours(phases, durability, { eventStore } = {}) {
  const dir = tempDir();
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  const dbPath = path.join(dir, 'log.db');
  const executor = new PhaseExecutor({ llmClient: instantModel, repoRoot: repo, durability, ...(eventStore === undefined ? { dbPath } : { eventStore }) });
  const plan = smallFilePlan(phases);
  const started = performance.now();
  const result = await executor.runPlan({ phases: plan, maxRetries: 0, enableHealthChecks: false, stopOnFailure: true });
  const elapsed = performance.now() - started;
  await executor.close();
  if (result.successful_phases !== phases) throw new Error(`only ${result.successful_phases} of ${phases} phases succeeded`);
  const store = eventStore ?? createSqliteEventStore(dbPath, { readonly: true });
  const events = await store.read(result.run_id);
  if (eventStore === undefined) await store.close();
  const bytes = eventStore === undefined ? dbBytes(dbPath) : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { msPerPhase: elapsed / phases, eventsPerPhase: events.length / phases, bytesPerPhase: bytes === null ? null : bytes / phases, events };
}

/** As the durability level promises: `normal` survives a process crash (no fsync), `full` a power cut. */
function writeFor(durability, file, content) {
  const fd = fs.openSync(file, 'wx', 0o644);
  fs.writeSync(fd, content);
  if (durability === 'full') fs.fsyncSync(fd);
  fs.closeSync(fd);
}

function syncDirFor(durability, dir) {
  if (durability !== 'full') return;
  const fd = fs.openSync(dir, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

/**
 * The least the same work can cost: the same event rows (the very JSON ours wrote), appended one
 * IMMEDIATE transaction each with the same version check, and per phase the file written aside and
 * renamed into place, fsynced (the file, then its directory) only at `full`, as that level promises. Each
 * phase creates a file that did not exist, so there is no pre-image to keep: no backup folder either.
 * With `log: false`, only the files: what the floor's log costs is the difference.
 */
export function floor(events, phases, durability, { log = true } = {}) {
  const dir = tempDir();
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(`CREATE TABLE streams (stream TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT;
    CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
      actor TEXT NOT NULL, source TEXT, target TEXT, data TEXT NOT NULL, at INTEGER NOT NULL, UNIQUE (stream, seq)) STRICT;`);
  const version = db.prepare('SELECT version FROM streams WHERE stream = ?');
  const insert = db.prepare('INSERT INTO events (stream, seq, type, actor, source, target, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const upsert = db.prepare('INSERT INTO streams (stream, version) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET version = excluded.version');
  const append = db.transaction((e) => {
    const current = version.get('run')?.version ?? 0;
    insert.run('run', current + 1, e.type, e.actor, e.source, e.target, e.data, e.at);
    upsert.run('run', current + 1);
  });
  const rows = events.map((e) => ({ ...e, data: JSON.stringify(e.data) }));
  const perPhase = Math.ceil(rows.length / phases);
  const started = performance.now();
  for (let p = 0, r = 0; p < phases; p += 1) {
    if (log) for (let k = 0; k < perPhase && r < rows.length; k += 1, r += 1) append.immediate(rows[r]);
    const staged = path.join(repo, `.f${p}.txt.tmp`);
    writeFor(durability, staged, `content of f${p}.txt\n`);
    fs.renameSync(staged, path.join(repo, `f${p}.txt`));
    syncDirFor(durability, repo);
  }
  const elapsed = performance.now() - started;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { msPerPhase: elapsed / phases };
}
