import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject, onTestFinished } from 'vitest';
import { openPostgresLog, type EventStore, type PostgresEventStoreOptions, type RunQueue } from '../../src/store/index.js';

/** The test cluster's URL. A test that needs PostgreSQL fails, not skips, when there is none, saying why. */
export function requirePostgresUrl(): string {
  const url = inject('pgUrl');
  if (url === '') throw new Error(`this test needs PostgreSQL, which is unavailable: ${inject('pgUnavailable')}`);
  return url;
}

export interface TestSchema {
  url: string;
  schema: string;
  /** A store on this schema (its own pool), closed when the test ends. */
  open(options?: Omit<PostgresEventStoreOptions, 'schema'>): Promise<EventStore>;
  /** The log and its run queue on this schema (one pool), closed when the test ends. */
  openLog(options?: Omit<PostgresEventStoreOptions, 'schema'>): Promise<{ store: EventStore; queue: RunQueue }>;
  /** A raw connection to the cluster, ended when the test ends. */
  connect(): Promise<pg.Client>;
}

/**
 * A schema of its own for the current test, dropped when the test ends, pass or fail.
 *
 * The test also holds the cluster for its duration: readAll returns only events of transactions older than
 * the oldest one running anywhere on the server, so a test appending in another file (vitest runs files in
 * parallel) would hold back this test's reads. The turn is a session advisory lock, given back by ending
 * that session.
 */
export async function useTestSchema(): Promise<TestSchema> {
  const url = requirePostgresUrl();
  const schema = `autopack_test_${randomBytes(6).toString('hex')}`;
  const turn = new pg.Client(url);
  await turn.connect();
  const stores: EventStore[] = [];
  const clients: pg.Client[] = [];
  onTestFinished(async () => {
    await Promise.allSettled(clients.map((c) => c.end()));
    await Promise.allSettled(stores.map((s) => s.close()));
    try {
      await turn.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    } finally {
      await turn.end();
    }
  });
  // Fail with a message before vitest's 30 s timeout does without one.
  await turn.query("SET lock_timeout = '25s'");
  await turn.query("SELECT pg_advisory_lock(hashtext('autopack tests: one test at a time on the cluster'))").catch((error: unknown) => {
    throw new Error(`another test kept the PostgreSQL test cluster for over 25 s: ${String(error)}`);
  });
  const openLog = async (options: Omit<PostgresEventStoreOptions, 'schema'> = {}) => {
    const log = await openPostgresLog(url, { ...options, schema });
    stores.push(log.store);
    return log;
  };
  return {
    url,
    schema,
    open: async (options = {}) => (await openLog(options)).store,
    openLog,
    async connect() {
      const client = new pg.Client(url);
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}

/** For the contract suite: a store in a fresh schema, which is dropped when the test ends. */
export async function createTestPostgresStore(): Promise<EventStore> {
  return (await useTestSchema()).open();
}

/**
 * A database of its own for the current test, dropped when the test ends: for processes (the CLI) that
 * use the store's default schema. Returns its URL.
 */
export async function useTestDatabase(): Promise<string> {
  const url = requirePostgresUrl();
  const name = `autopack_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  onTestFinished(async () => {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  const own = new URL(url);
  own.pathname = `/${name}`;
  return own.toString();
}
