// 7 and 8: the PostgreSQL log. The phase overhead with the log on PostgreSQL beside SQLite, and runs finished
// per minute by 1, 2 and 4 worker processes sharing one queue, with a model that takes 200 ms to answer.
// `node bench/scaleOut.mjs` runs only this part (after `npm run build`) and merges its figures into
// bench/results.json under `postgres`; `npm run bench` runs it after the rest.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startPostgresCluster } from '../test/support/postgresCluster.mjs';
import { dist, root, smallFilePlan, stats, tempDir } from './lib.mjs';
import { ours } from './overhead.mjs';
import { startModelServer } from './resume.mjs';

const { createPostgresEventStore, openPostgresLog } = await import(dist('index.js'));
const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ratios = (a, b) => stats(a.map((x, i) => x / b[i]));

/**
 * A throwaway cluster with fsync on (a server as deployed, on this machine's loopback), or why there is none.
 * Each figure gets a database of its own; `synchronous_commit` per database matches SQLite's levels: off is
 * `normal` (a commit is in the server's WAL buffers, not yet on disk), on is `full` (fsynced at commit).
 */
export async function startBenchCluster() {
  try {
    const cluster = await startPostgresCluster({ durable: true });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const database = async (name, synchronousCommit) => {
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = ${synchronousCommit}`);
      return cluster.url.replace(/\/postgres$/, `/${name}`);
    };
    return { cluster, database, stop: async () => (await admin.end(), await cluster.stop()) };
  } catch (error) {
    return { skipped: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

/** `ours()` with the log on PostgreSQL and on SQLite, pair by pair, at both durability levels. */
export async function postgresOverhead(bench, phases, runs, log) {
  const figures = {};
  for (const durability of ['normal', 'full']) {
    const url = await bench.database(`overhead_${durability}`, durability === 'normal' ? 'off' : 'on');
    const onPg = [];
    const onSqlite = [];
    for (let i = 0; i < runs; i += 1) {
      log(`PostgreSQL overhead (${durability}) ${i + 1}/${runs}: ${phases} phases on PostgreSQL, then on SQLite`);
      const store = await createPostgresEventStore(url, { schema: `run${i}` });
      try {
        onPg.push((await ours(phases, durability, { eventStore: store })).msPerPhase);
      } finally {
        await store.close();
      }
      onSqlite.push((await ours(phases, durability)).msPerPhase);
    }
    figures[durability] = { msPerPhase: stats(onPg), sqliteMsPerPhase: stats(onSqlite), ratioToSqlite: ratios(onPg, onSqlite) };
  }
  return figures;
}

/** CPU seconds of a process, its own and its reaped children's (a worker's git commands), from /proc. */
function cpuSeconds(pid, { children = true } = {}) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state ppid ... utime(12th) stime cutime cstime, counted from state as 1st.
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return (utime + stime + (children ? cutime + cstime : 0)) / 100;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server's CPU seconds: the postmaster with its exited backends, and the live ones. */
function serverCpuSeconds(data) {
  const postmaster = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** The machine's busy and total CPU seconds since boot, all cores (/proc/stat; idle and iowait are not busy). */
function machineCpu() {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3] - ticks[4]) / 100, total: total / 100 };
}

/** A bare repository with one commit on main: the remote every worker clones and pushes to. */
async function origin(dir) {
  const seed = path.join(dir, 'seed');
  fs.mkdirSync(seed);
  fs.writeFileSync(path.join(seed, 'README.md'), '# bench\n');
  const git = (cwd, ...args) => run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd });
  await git(seed, 'init', '-q', '-b', 'main');
  await git(seed, 'add', '.');
  await git(seed, 'commit', '-q', '-m', 'seed');
  const bare = path.join(dir, 'origin.git');
  await git(dir, 'clone', '-q', '--bare', seed, bare);
  return bare;
}

/** What the log says about the runs: the window from the first event to the last, and per phase its time and the model call's latency. */
async function fromLog(store, runIds) {
  let first = Infinity;
  let last = -Infinity;
  const phaseMs = [];
  const modelMs = [];
  for (const runId of runIds) {
    const events = await store.read(runId);
    if (events.length === 0) continue; // errored before its first event
    first = Math.min(first, events[0].at);
    last = Math.max(last, events[events.length - 1].at);
    const started = new Map();
    for (const e of events) {
      if (e.type === 'phase.started') started.set(e.data.phaseIndex, e.at);
      else if (e.type === 'phase.finished') phaseMs.push(e.at - started.get(e.data.phaseIndex));
      else if (e.type === 'llm.attempted') modelMs.push(e.data.call.latencyMs);
    }
  }
  return { windowMs: last - first, phaseMs: stats(phaseMs), modelMs: stats(modelMs) };
}

/**
 * Submits `runs` runs of `phasesPerRun` phases to a fresh database, starts `workers` worker processes of
 * `concurrency` each against a model that answers after `modelMs`, and times them until the queue shows every
 * run finished. Runs per minute are counted over the log's window (the first event any worker wrote to the
 * last), so the workers' start is not in them; from the spawn is reported too.
 */
export async function scaleOutOnce(bench, { runs, phasesPerRun, workers, concurrency, model, modelMs }) {
  const dir = tempDir();
  const url = await bench.database(`scale_${workers}x${concurrency}_${process.pid}_${Date.now() % 100000}`, 'on');
  const bare = await origin(dir);
  const plan = path.join(dir, 'plan.yaml');
  fs.writeFileSync(plan, JSON.stringify({ phases: smallFilePlan(phasesPerRun) }));
  const cli = path.join(root, 'dist', 'cli.js');
  const runIds = [];
  for (let i = 0; i < runs; i += 4) {
    const batch = Array.from({ length: Math.min(4, runs - i) }, () => run(process.execPath, [cli, 'submit', plan, '--repo', bare, '--db', url, '--json'], { cwd: dir }));
    for (const { stdout } of await Promise.all(batch)) runIds.push(JSON.parse(stdout).run_id);
  }
  const { store, queue } = await openPostgresLog(url);
  const cpu0 = { machine: machineCpu(), server: serverCpuSeconds(bench.cluster.data) };
  const spawned = performance.now();
  const children = Array.from({ length: workers }, (_, w) => {
    const workdir = path.join(dir, `worker${w}`);
    const child = spawn(
      process.execPath,
      [cli, 'worker', '--db', url, '--workdir', workdir, '--concurrency', String(concurrency), '--llm', 'openai', '--base-url', model.baseUrl],
      { cwd: dir, env: { ...process.env, OPENAI_API_KEY: 'sk-bench' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    return { child, stderr: () => stderr, exited: new Promise((resolve) => child.on('close', resolve)) };
  });
  let failed = [];
  try {
    for (;;) {
      const queued = (await queue.list()).filter((r) => runIds.includes(r.runId));
      if (queued.every((r) => r.state === 'finished')) {
        // A run that did not succeed is reported, not fatal: the figure counts the runs that did.
        failed = queued.filter((r) => r.outcome !== 'succeeded').map((r) => `${r.runId}: ${r.outcome}`);
        for (const reason of failed) process.stderr.write(`  a run did not succeed: ${reason}\n`);
        break;
      }
      if (performance.now() - spawned > 600_000) throw new Error(`the runs did not finish in 10 minutes; a worker said:\n${children[0].stderr().slice(-2000)}`);
      await sleep(50);
    }
    const wallMs = performance.now() - spawned;
    const machine = machineCpu();
    const cpu = {
      workersS: children.reduce((n, w) => n + cpuSeconds(w.child.pid), 0),
      serverS: serverCpuSeconds(bench.cluster.data) - cpu0.server,
      machineBusy: (machine.busy - cpu0.machine.busy) / (machine.total - cpu0.machine.total),
    };
    const logged = await fromLog(store, runIds);
    return { wallMs, ...logged, cpu, succeeded: runIds.length - failed.length, failed };
  } finally {
    for (const w of children) w.child.kill('SIGTERM');
    await Promise.all(children.map((w) => w.exited));
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs per minute for each setup, `rounds` times each, with the speed-up against one worker and the model-bound ideal. */
export async function scaleOut(bench, { runs, phasesPerRun = 3, modelMs = 200, rounds = 1, setups, log }) {
  const model = await startModelServer({ delayMs: modelMs });
  const figures = { runs, phasesPerRun, modelMs, setups: [] };
  try {
    const perSetup = setups.map(() => []);
    // Round-robin, so each round measures every setup under the same background load.
    for (let r = 0; r < rounds; r += 1) {
      for (const [i, setup] of setups.entries()) {
        log(`scale-out ${r + 1}/${rounds}: ${runs} runs of ${phasesPerRun} phases, ${setup.workers} worker(s) × concurrency ${setup.concurrency}`);
        perSetup[i].push(await scaleOutOnce(bench, { runs, phasesPerRun, modelMs, model, ...setup }));
      }
    }
    const perMinute = (m, ms) => (m.succeeded * 60_000) / ms;
    const base = perSetup[0].map((m) => perMinute(m, m.windowMs));
    for (const [i, setup] of setups.entries()) {
      const measured = perSetup[i];
      const slots = setup.workers * setup.concurrency;
      figures.setups.push({
        ...setup,
        runsPerMinute: stats(measured.map((m) => perMinute(m, m.windowMs))),
        runsPerMinuteFromSpawn: stats(measured.map((m) => perMinute(m, m.wallMs))),
        speedUp: ratios(measured.map((m) => perMinute(m, m.windowMs)), base),
        failedRuns: measured.flatMap((m) => m.failed),
        idealRunsPerMinute: (slots * 60_000) / (phasesPerRun * modelMs),
        phaseMs: stats(measured.map((m) => m.phaseMs.median)),
        modelMs: stats(measured.map((m) => m.modelMs.median)),
        machineBusy: stats(measured.map((m) => m.cpu.machineBusy)),
        workerCpuSecondsPerRun: stats(measured.map((m) => m.cpu.workersS / runs)),
        serverCpuSecondsPerRun: stats(measured.map((m) => m.cpu.serverS / runs)),
      });
    }
  } finally {
    await model.close();
  }
  return figures;
}

export const SCALE_OUT_SETUPS = [
  { workers: 1, concurrency: 1 },
  { workers: 2, concurrency: 1 },
  { workers: 4, concurrency: 1 },
  { workers: 1, concurrency: 4 },
];

/** Both PostgreSQL figures, or why they were skipped. */
export async function postgresFigures({ phases, runs, scaleOutRuns, log }) {
  const bench = await startBenchCluster();
  if (bench.skipped !== undefined) {
    log(`PostgreSQL figures skipped: ${bench.skipped}`);
    return { skipped: bench.skipped };
  }
  try {
    return {
      server: `PostgreSQL on this machine, loopback (127.0.0.1), fsync on; synchronous_commit off for normal, on for full and for the workers`,
      overhead: await postgresOverhead(bench, phases, runs, log),
      scaleOut: await scaleOut(bench, { runs: scaleOutRuns, rounds: runs, setups: SCALE_OUT_SETUPS, log }),
    };
  } finally {
    await bench.stop();
  }
}

const fmt = (s, digits = 2) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** The table rows for these figures, as bench/index.mjs prints them. */
export function postgresRows(figures) {
  if (figures.skipped !== undefined) return [['PostgreSQL figures', 'skipped', figures.skipped, '']];
  const rows = ['normal', 'full'].map((d) => {
    const o = figures.overhead[d];
    return [`overhead per phase on PostgreSQL, ${d}`, `${fmt(o.msPerPhase, 3)} ms`, `SQLite ${fmt(o.sqliteMsPerPhase, 3)} ms`, `x${fmt(o.ratioToSqlite)}`];
  });
  const s = figures.scaleOut;
  for (const x of s.setups) {
    rows.push([
      `runs/min, ${x.workers} worker(s) × ${x.concurrency} (${s.runs} runs × ${s.phasesPerRun} phases, model ${s.modelMs} ms)`,
      `${fmt(x.runsPerMinute, 1)}`,
      `ideal ${x.idealRunsPerMinute.toFixed(0)}; phase ${x.phaseMs.median.toFixed(0)} ms (model ${x.modelMs.median.toFixed(0)}); CPU busy ${(x.machineBusy.median * 100).toFixed(0)}%`,
      `x${fmt(x.speedUp)} vs 1 worker${x.failedRuns.length > 0 ? `; ${x.failedRuns.length} run(s) failed` : ''}`,
    ]);
  }
  return rows;
}

if (process.argv[1] === import.meta.filename) {
  const log = (text) => process.stderr.write(`${text}\n`);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const figures = await postgresFigures({
    phases: Number(process.env.BENCH_PHASES ?? 1000),
    runs,
    scaleOutRuns: Number(process.env.BENCH_SCALEOUT_RUNS ?? 12),
    log,
  });
  const rows = postgresRows(figures);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(`${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n')}\n\nmedian (min–max) of ${runs} runs; ratios pair by pair\n`);
  const file = path.join(root, 'bench', 'results.json');
  const results = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version } };
  fs.writeFileSync(file, `${JSON.stringify({ ...results, postgres: figures }, null, 2)}\n`);
  log('wrote bench/results.json (postgres)');
}
