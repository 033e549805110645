export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** The cluster's data directory (its postmaster.pid names the server's process). */
  data: string;
  stop(): Promise<void>;
}

/** Debian installs each major version under /usr/lib/postgresql/N/bin; the newest wins. AUTOPACK_PG_BIN overrides. */
export function postgresBinDir(): string | null;

/** A throwaway cluster on a loopback port in a temp dir; without fsync unless `durable`. */
export function startPostgresCluster(options?: { durable?: boolean }): Promise<PostgresCluster>;
