// Plain ESM so both the tests (TypeScript, typed by postgresCluster.d.mts) and the benchmarks (bench/*.mjs,
// run by node without a compiler) start their throwaway cluster the same way.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian installs each major version under /usr/lib/postgresql/N/bin; the newest wins. AUTOPACK_PG_BIN overrides. */
export function postgresBinDir() {
  const forced = process.env['AUTOPACK_PG_BIN'];
  if (forced !== undefined && forced !== '') return forced;
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], 'bin');
}

function freeLoopbackPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user Debian's package creates. */
async function asClusterOwner(command, args) {
  if (isRoot()) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
  else await run(command, args);
}

/**
 * A throwaway PostgreSQL cluster: initialised in a temp dir, listening on a free loopback port only, stopped
 * and deleted by `stop`. Without fsync (nothing in it must outlive a test run) unless `durable` (the
 * benchmarks, which measure what a real server costs).
 */
export async function startPostgresCluster({ durable = false } = {}) {
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error(
      'a throwaway PostgreSQL cluster needs the PostgreSQL server installed: install it (Debian: apt-get install postgresql), ' +
        'point AUTOPACK_PG_BIN at its bin directory, or (tests) set AUTOPACK_TEST_PG_URL to a database the tests may use',
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autopack-pg-'));
  if (isRoot()) await run('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freeLoopbackPort();
  const unsafe = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const settings = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir}${unsafe} -c max_connections=200`;
  try {
    await asClusterOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', ...(durable ? [] : ['--no-sync']), '--no-instructions']);
    await asClusterOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-o', settings, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    data,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await asClusterOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
