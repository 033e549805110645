import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { EventStore } from './eventStore.js';
import { describeUrl } from './postgres/pool.js';
import { createSqliteEventStore, type Durability } from './sqliteEventStore.js';

/**
 * Where a log lives: a SQLite file (the embedded default) or a PostgreSQL database named by URL
 * (`postgres://user@host:5432/db`), which runs on several machines can share.
 */
export function isDatabaseUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location as it may be printed: a path as is, a URL without its password. */
export function describeLocation(location: string): string {
  return isDatabaseUrl(location) ? describeUrl(location) : location;
}

/** A path made absolute against `base`; a URL as given. */
export function resolveLocation(location: string, base: string): string {
  return isDatabaseUrl(location) ? location : path.resolve(base, location);
}

export interface OpenEventStoreOptions {
  /** SQLite only: what a commit must survive (PostgreSQL's durability is the server's own setting). */
  durability?: Durability;
  /**
   * Open an existing log to read it: a SQLite file is opened read-only and must exist (reading never
   * creates a database); a PostgreSQL log is read through the same connection a writer uses.
   */
  readonly?: boolean;
}

export async function openEventStore(location: string, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  if (isDatabaseUrl(location)) {
    const { createPostgresEventStore } = await import('./postgresEventStore.js');
    return createPostgresEventStore(location);
  }
  if (options.readonly === true && !fs.existsSync(location)) {
    throw new AutopackError('RUN_NOT_FOUND', `no event log at ${location}; run a plan first, or point at the log with --db PATH or --repo DIR`);
  }
  return createSqliteEventStore(location, {
    ...(options.readonly === true ? { readonly: true } : {}),
    ...(options.durability === undefined ? {} : { durability: options.durability }),
  });
}
