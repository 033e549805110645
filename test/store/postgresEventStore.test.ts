import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { insertEventsValues, postgresStatements, SCHEMA_VERSION } from '../../src/store/postgres/statements.js';
import {
  createPostgresEventStore,
  LeaseConflictError,
  VersionConflictError,
  type EventStore,
  type NewRunEvent,
  type StoredRunEvent,
} from '../../src/store/index.js';
import { event } from '../support/storeEvents.js';
import { useTestSchema } from '../support/postgresSchema.js';


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const label = (e: StoredRunEvent) => `${e.stream}:${e.seq}`;

/**
 * An append done step by step on a raw connection with the store's own statements, so a test can hold its
 * transaction open between them: `guard` is the streams row (the transaction's first write, which gives it
 * its transaction id), `insert` takes the events' positions.
 */
function rawAppender(client: pg.Client, schema: string) {
  const sql = postgresStatements(schema);
  return {
    begin: () => client.query('BEGIN'),
    commit: () => client.query('COMMIT'),
    rollback: () => client.query('ROLLBACK'),
    async guard(stream: string, expectedVersion: number, count: number): Promise<void> {
      const result =
        expectedVersion === 0
          ? await client.query({ ...sql.insertStream, values: [stream, count, 1, 1] })
          : await client.query({ ...sql.advanceStream, values: [stream, expectedVersion + count, expectedVersion, 1, 1] });
      if (result.rowCount !== 1) throw new Error(`raw append to ${stream}: not at version ${expectedVersion}`);
    },
    async insert(stream: string, expectedVersion: number, events: NewRunEvent[]): Promise<number[]> {
      const result = await client.query<{ position: string }>({
        ...sql.insertEvents,
        values: insertEventsValues(stream, expectedVersion, events),
      });
      return result.rows.map((r) => Number(r.position));
    },
  };
}

/** Whether a promise is still pending after `ms`: a writer waiting on a row lock. */
async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol('pending');
  promise.catch(() => {});
  return (await Promise.race([promise.then(() => null, () => null), sleep(ms).then(() => pending)])) === pending;
}

describe('PostgreSQL event store: gap-free global reads', () => {
  it('a follower reading by position sees every event once, each stream in seq order, while several writers append', async () => {
    const db = await useTestSchema();
    const follower = await db.open();
    const writers = await Promise.all([1, 2, 3].map(() => db.open({ maxConnections: 2 })));
    const appended: string[] = [];

    // Six chains of appends through three stores (three pools) at once, batches of 1 to 3 events.
    const chain = async (store: EventStore, stream: string) => {
      let version = 0;
      for (let i = 0; i < 20; i++) {
        const batch = Array.from({ length: (i % 3) + 1 }, (_, j) => event(version + j + 1));
        const stored = await store.append(stream, batch, { expectedVersion: version });
        version += stored.length;
        appended.push(...stored.map(label));
      }
    };
    // One slow writer that holds each transaction open for a while after taking its positions: the case a
    // reader by position alone would skip, as faster writers commit later positions meanwhile.
    const slow = async () => {
      const raw = rawAppender(await db.connect(), db.schema);
      for (let i = 0; i < 15; i++) {
        const batch = [event(2 * i + 1), event(2 * i + 2)];
        await raw.begin();
        await raw.guard('slow', 2 * i, 2);
        await raw.insert('slow', 2 * i, batch);
        await sleep(5 + ((i * 7) % 20));
        await raw.commit();
        appended.push(`slow:${2 * i + 1}`, `slow:${2 * i + 2}`);
      }
    };
    let done = false;
    const writing = Promise.all([
      ...writers.flatMap((store, w) => [chain(store, `w${w}-a`), chain(store, `w${w}-b`)]),
      slow(),
    ]).finally(() => {
      done = true;
    });

    const seen: StoredRunEvent[] = [];
    let cursor = 0;
    const deadline = Date.now() + 10_000;
    while (!(done && seen.length >= appended.length) && Date.now() < deadline) {
      const batch = await follower.readAll({ after: cursor, limit: 10 });
      seen.push(...batch);
      const last = batch.at(-1);
      if (last !== undefined) cursor = last.position;
      else await sleep(2);
    }
    await writing;
    expect(await follower.readAll({ after: cursor })).toEqual([]);

    const labels = seen.map(label);
    expect(new Set(labels).size).toBe(labels.length);
    expect([...labels].sort()).toEqual([...appended].sort());
    const byStream = new Map<string, number[]>();
    for (const e of seen) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.seq]);
    expect(byStream.size).toBe(7);
    for (const seqs of byStream.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('does not return a later position while the transaction holding an earlier one is open, and returns both once it commits', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    const [before] = await store.append('c', [event(0)], { expectedVersion: 0 });

    // Transaction A takes a position and stays open; B takes a later one and commits first.
    const a = rawAppender(await db.connect(), db.schema);
    await a.begin();
    await a.guard('a', 0, 1);
    const [positionA] = await a.insert('a', 0, [event(1)]);
    const [b] = await store.append('b', [event(2)], { expectedVersion: 0 });
    expect(b?.position).toBeGreaterThan(positionA ?? Infinity);

    const first = await store.readAll();
    expect(first.map(label)).toEqual(['c:1']);
    expect(first[0]?.position).toBe(before?.position);
    expect(await store.readAll({ after: before?.position ?? 0 })).toEqual([]);

    await a.commit();
    const next = await store.readAll({ after: before?.position ?? 0 });
    expect(next.map(label)).toEqual(['a:1', 'b:1']);
    expect(next.map((e) => e.position)).toEqual([positionA, b?.position]);
    expect(await store.readAll({ after: next.at(-1)?.position ?? 0 })).toEqual([]);
  });

  it('orders by transaction, so positions may go down in a read, and the last position returned is still the cursor', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    // A has its transaction id (the streams row) before B begins, but takes its position after B's.
    const a = rawAppender(await db.connect(), db.schema);
    await a.begin();
    await a.guard('a', 0, 1);
    const [b] = await store.append('b', [event(2)], { expectedVersion: 0 });
    const [positionA] = await a.insert('a', 0, [event(1)]);
    await a.commit();
    expect(positionA).toBeGreaterThan(b?.position ?? Infinity);

    const all = await store.readAll();
    expect(all.map(label)).toEqual(['a:1', 'b:1']);
    expect((await store.readAll({ limit: 1 })).map(label)).toEqual(['a:1']);
    expect((await store.readAll({ after: positionA ?? 0 })).map(label)).toEqual(['b:1']);
    expect(await store.readAll({ after: b?.position ?? 0 })).toEqual([]);
  });

  it('an unknown readAll cursor is a clear error, not an empty read', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    await store.append('a', [event(1)], { expectedVersion: 0 });
    await expect(store.readAll({ after: 12_345 })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/no event at position 12345 .*pass 0, or the position of the last event readAll returned/),
    });
  });
});

describe('PostgreSQL event store: concurrent writers', () => {
  it('of two stores appending at the same expected version, exactly one wins and the other gets a VersionConflictError', async () => {
    const db = await useTestSchema();
    const [one, two] = await Promise.all([db.open(), db.open()]);
    if (one === undefined || two === undefined) throw new Error('two stores');
    for (let round = 0; round < 20; round++) {
      const stream = `run-${round % 4}`;
      const version = await one.version(stream);
      const results = await Promise.allSettled([
        one.append(stream, [event(1)], { expectedVersion: version }),
        two.append(stream, [event(2), event(3)], { expectedVersion: version }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(VersionConflictError);
      const winner = won[0]?.status === 'fulfilled' ? won[0].value : [];
      expect(await two.version(stream)).toBe(version + winner.length);
      expect((await one.read(stream, { from: version + 1 })).map((e) => e.data)).toEqual(winner.map((e) => e.data));
    }
  });

  it('a writer waiting on the streams row behind another at the same version finds it moved, and writes nothing', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    await store.append('run', [event(1)], { expectedVersion: 0 });
    const other = rawAppender(await db.connect(), db.schema);

    await other.begin();
    await other.guard('run', 1, 1);
    await other.insert('run', 1, [event(2)]);
    const waiting = store.append('run', [event(3), event(4)], { expectedVersion: 1 });
    expect(await stillPending(waiting, 150)).toBe(true);
    await other.commit();
    await expect(waiting).rejects.toMatchObject({ code: 'STORE_VERSION_CONFLICT', expectedVersion: 1, actualVersion: 2 });

    // A new stream: the second creator waits on the first's row, and conflicts when it commits, or takes
    // the stream when it rolls back.
    await other.begin();
    await other.guard('new', 0, 1);
    const second = store.append('new', [event(1)], { expectedVersion: 0 });
    expect(await stillPending(second, 150)).toBe(true);
    await other.rollback();
    expect((await second).map(label)).toEqual(['new:1']);
    expect((await store.read('run')).map(label)).toEqual(['run:1', 'run:2']);
  });

  it('a fenced append waiting behind a claim of its run finds the epoch moved, and writes nothing; a claim waits for an append in flight', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    const sql = postgresStatements(db.schema);
    const mine = await store.acquireLease('run', { token: 'mine', pid: 1, host: 'h1', ttlMs: 60_000 });
    const fence = { token: mine.token, epoch: mine.epoch };
    await store.append('run', [event(1)], { expectedVersion: 0, fence });

    // Another worker's claim, held open under its row lock (as a claim judging the holder does).
    const claimer = await db.connect();
    await claimer.query('BEGIN');
    await claimer.query({ ...sql.lockLease, values: ['run'] });
    await claimer.query({ ...sql.claimOver, values: ['run', 'theirs', mine.epoch + 1, 2, 'h2', 60_000, Date.now()] });
    const waiting = store.append('run', [event(2)], { expectedVersion: 1, fence });
    expect(await stillPending(waiting, 150)).toBe(true);
    await claimer.query('COMMIT');
    // Re-checked on the claimed row, not on the one the statement first saw.
    await expect(waiting).rejects.toMatchObject({ code: 'LEASE_LOST', message: expect.stringContaining('taken over by process 2 on h2 (epoch 2)') });
    expect(await store.version('run')).toBe(1);

    // The other way round: an append in flight holds the row, and the claim waits for it to commit.
    const raw = rawAppender(await db.connect(), db.schema);
    await raw.begin();
    await raw.guard('run', 1, 1);
    await raw.insert('run', 1, [event(2)]);
    const claim = store.acquireLease('run', { token: 'third', pid: 3, host: 'h3', ttlMs: 60_000 }, () => true);
    expect(await stillPending(claim, 150)).toBe(true);
    await raw.commit();
    expect((await claim).epoch).toBe(mine.epoch + 2);
    expect(await store.version('run')).toBe(2);
  });

  it('of two stores taking the same lease at once, exactly one gets it', async () => {
    const db = await useTestSchema();
    const [one, two] = await Promise.all([db.open(), db.open()]);
    if (one === undefined || two === undefined) throw new Error('two stores');
    for (let round = 0; round < 10; round++) {
      const stream = `run-${round}`;
      const results = await Promise.allSettled([
        one.acquireLease(stream, { token: 'one', pid: 1, host: 'h1', ttlMs: 60_000 }, () => false),
        two.acquireLease(stream, { token: 'two', pid: 2, host: 'h2', ttlMs: 60_000 }, () => false),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(LeaseConflictError);
      const holder = await one.readLease(stream);
      expect(holder?.token).toBe(results[0]?.status === 'fulfilled' ? 'one' : 'two');
    }
  });
});

describe('PostgreSQL event store: schema and values', () => {
  it('several stores opening the same new schema at once all open it', async () => {
    const db = await useTestSchema();
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => db.open()));
    await stores[0]?.append('run', [event(1)], { expectedVersion: 0 });
    for (const store of stores) expect(await store.version('run')).toBe(1);
  });

  it('refuses a log written by a newer autopack', async () => {
    const db = await useTestSchema();
    await db.open();
    const client = await db.connect();
    await client.query(`UPDATE "${db.schema}".schema_version SET version = 99`);
    await expect(createPostgresEventStore(db.url, { schema: db.schema })).rejects.toThrow(
      new RegExp(`was written by a newer autopack \\(log schema 99, this one reads up to ${SCHEMA_VERSION}\\); upgrade autopack`),
    );
  });

  it('cannot open an unreachable server: the message names the URL without its password', async () => {
    const attempt = createPostgresEventStore('postgres://someone:hunter2@127.0.0.1:1/nothing');
    await expect(attempt).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const message = await attempt.then(
      () => '',
      (error: unknown) => String(error),
    );
    expect(message).toMatch(/cannot open the PostgreSQL event log at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing \(schema autopack\)/);
    expect(message).not.toContain('hunter2');
  });

  it('rejects a schema name PostgreSQL would truncate', async () => {
    await expect(createPostgresEventStore('postgres://127.0.0.1:1/x', { schema: 's'.repeat(64) })).rejects.toThrow(/must be 1 to 63 bytes/);
  });

  it('returns positions, seqs, times and versions as numbers, and large times exactly', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    const at = 8_000_000_000_123;
    const [stored] = await store.append('run', [event(1, at)], { expectedVersion: 0 });
    const [read] = await store.read('run');
    expect(read).toEqual(stored);
    for (const value of [read?.position, read?.seq, read?.at]) expect(typeof value).toBe('number');
    expect(read?.at).toBe(at);
    expect(await store.version('run')).toBe(1);
    expect(await store.listStreams()).toEqual([{ stream: 'run', version: 1, createdAt: at, updatedAt: at }]);
    const holder = await store.acquireLease('run', { token: 't', pid: 7, host: 'h', ttlMs: 8_000_000_000 });
    expect(await store.readLease('run')).toEqual(holder);
    for (const value of [holder.epoch, holder.since, holder.expiresAt, holder.ttlMs]) expect(typeof value).toBe('number');
    expect(holder.expiresAt).toBe(holder.since + 8_000_000_000);
  });

  it('keeps event data exactly: escapes, NUL, lone surrogates, key order, large numbers', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    const tricky = ['\u0000', '\ud800', 'é\u0301', '😀', '"\\\n\t', "'; DROP TABLE events; --"].join('|');
    const data = { phaseIndex: 0, attempt: Number.MAX_SAFE_INTEGER, phaseId: tricky, z: 1, a: { b: [1.5, null, true] } };
    await store.append('run', [{ ...event(1), data } as NewRunEvent], { expectedVersion: 0 });
    const [read] = await store.read('run');
    expect(read?.data).toEqual(data);
    expect(JSON.stringify(read?.data)).toBe(JSON.stringify(data));
  });

  it('aggregates a stream longer than one page, in seq order', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    for (let i = 0; i < 5; i++) {
      await store.append('long', Array.from({ length: 500 }, (_, j) => event(i * 500 + j + 1)), { expectedVersion: i * 500 });
    }
    const seqs = await store.aggregate('long', (acc: number[], e) => (acc.push(e.seq), acc), []);
    expect(seqs).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    expect(await store.aggregate('none', (n: number) => n + 1, 0)).toBe(0);
  });

  it('lists streams by creation time, then by name in byte order as SQLite does', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    for (const stream of ['b', 'B', 'a', '_x']) await store.append(stream, [event(1, 5_000)], { expectedVersion: 0 });
    await store.append('early', [event(1, 4_000)], { expectedVersion: 0 });
    expect((await store.listStreams()).map((s) => s.stream)).toEqual(['early', 'B', '_x', 'a', 'b']);
  });

  it('close ends the pool, and closing twice is harmless', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    await store.close();
    await store.close();
    await expect(store.version('run')).rejects.toThrow();
  });
});
