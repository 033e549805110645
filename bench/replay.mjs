// 3: fold a 1,000,000-event log, streamed from SQLite, against the floor (read every row's data + JSON.parse only).
// `node bench/replay.mjs fold|floor DB` runs one measurement in a fresh process, so peak RSS is its own.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { dist } from './lib.mjs';

const autopack = await import(dist('index.js'));

/** Copies a run's rows into `streams` streams until the log holds `target` events, in one transaction. */
export async function buildLog(events, target, dbPath) {
  await autopack.createSqliteEventStore(dbPath).close();
  const db = new Database(dbPath);
  const insert = db.prepare('INSERT INTO events (stream, seq, type, actor, source, target, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const stream = db.prepare('INSERT INTO streams (stream, version, created_at, updated_at) VALUES (?, ?, ?, ?)');
  const rows = events.map((e) => [e.type, e.actor, e.source, e.target, JSON.stringify(e.data), e.at]);
  let written = 0;
  db.transaction(() => {
    for (let s = 0; written < target; s += 1) {
      const id = `run-bench-${String(s).padStart(4, '0')}`;
      const count = Math.min(rows.length, target - written);
      for (let i = 0; i < count; i += 1) {
        const [type, actor, source, tgt, data, at] = rows[i];
        insert.run(id, i + 1, type, actor, source, tgt, data.replaceAll(events[0].stream, id), at);
      }
      stream.run(id, count, rows[0][5], rows[count - 1][5]);
      written += count;
    }
  })();
  db.close();
  return written;
}

async function measure(mode, dbPath) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let events = 0;
  if (mode === 'fold') {
    const { createSqliteEventStore, evolveRunStateInPlace, initialRunState } = autopack;
    const store = createSqliteEventStore(dbPath, { readonly: true });
    let phases = 0;
    for (const { stream, version } of await store.listStreams()) {
      const state = await store.aggregate(stream, evolveRunStateInPlace, initialRunState());
      phases += state.phases.length;
      events += version;
    }
    await store.close();
    if (phases === 0) throw new Error('folded no phases');
  } else {
    // The least a replay can cost: every row's data read the way the store reads a stream (by stream, in
    // pages of 256, which is cheaper than better-sqlite3's iterator) and parsed, and nothing else.
    const db = new Database(dbPath, { readonly: true });
    const page = db.prepare('SELECT seq, data FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT 256').raw();
    for (const stream of db.prepare('SELECT stream FROM streams ORDER BY created_at, stream').pluck().all()) {
      for (let after = 0; ; ) {
        const rows = page.all(stream, after);
        for (const row of rows) JSON.parse(row[1]);
        events += rows.length;
        if (rows.length < 256) break;
        after = rows[rows.length - 1][0];
      }
    }
    db.close();
  }
  const seconds = (performance.now() - started) / 1000;
  // CPU time too: on a shared machine it moves less than the wall clock with the other processes' load.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { events, seconds, cpuSeconds, eventsPerSecond: events / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

if (process.argv[1] === import.meta.filename) {
  const [mode, dbPath] = process.argv.slice(2);
  if (!fs.existsSync(dbPath)) throw new Error(`no log at ${dbPath}`);
  process.stdout.write(JSON.stringify(await measure(mode, dbPath)));
}
