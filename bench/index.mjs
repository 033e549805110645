// `npm run bench`: autopack's own overhead, replay and resume, against the floor and against LangGraph;
// then the PostgreSQL log (overhead beside SQLite, runs per minute by 1, 2 and 4 workers: bench/scaleOut.mjs).
// Prints a table and writes bench/results.json. Not part of `npm test`: figures, not assertions.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peerCrashedThread, peerOverhead } from './langgraph.mjs';
import { root, stats, tempDir } from './lib.mjs';
import { floor, nullLog, ours } from './overhead.mjs';
import { buildLog } from './replay.mjs';
import { crashedRun, floorToRequest, resumeLatency, resumeToRequest, startModelServer } from './resume.mjs';
import { postgresFigures, postgresRows } from './scaleOut.mjs';
import { diffFigures, diffRows } from './diff.mjs';


const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PHASES = Number(process.env.BENCH_PHASES ?? 1000);
const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const RESUME_EVENTS = 10_000;
const SCALEOUT_RUNS = Number(process.env.BENCH_SCALEOUT_RUNS ?? 12);
const log = (text) => process.stderr.write(`${text}\n`);
const ratios = (a, b) => stats(a.map((x, i) => x / b[i]));

const results = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` }, runs: RUNS };

// 1, 2, 5: overhead per phase, floor, log size.
for (const durability of ['normal', 'full']) {
  const mine = [];
  const base = [];
  // Where the difference lies: ours with a log that keeps nothing (bench/overhead.mjs nullLog), and the floor's files alone.
  const noLog = [];
  const filesOnly = [];
  let eventsPerPhase = 0;
  let bytesPerPhase = [];
  for (let i = 0; i < RUNS; i += 1) {
    log(`overhead (${durability}) ${i + 1}/${RUNS}: ${PHASES} phases`);
    const o = await ours(PHASES, durability);
    const f = floor(o.events, PHASES, durability);
    mine.push(o.msPerPhase);
    base.push(f.msPerPhase);
    noLog.push((await ours(PHASES, durability, { eventStore: nullLog() })).msPerPhase);
    filesOnly.push(floor(o.events, PHASES, durability, { log: false }).msPerPhase);
    eventsPerPhase = o.eventsPerPhase;
    bytesPerPhase.push(o.bytesPerPhase);
  }
  results[`overhead_${durability}`] = {
    msPerPhase: stats(mine),
    floorMsPerPhase: stats(base),
    ratioToFloor: ratios(mine, base),
    eventsPerPhase,
    noLogMsPerPhase: stats(noLog),
    floorFilesOnlyMsPerPhase: stats(filesOnly),
    // ours less its files, against the floor less its files: what each spends besides writing the file
    logAndCpuRatio: ratios(mine.map((m, j) => m - filesOnly[j]), base.map((b, j) => b - filesOnly[j])),
  };
  if (durability === 'normal') results.logBytesPerPhase = stats(bytesPerPhase);
}

// 3: replay a 1,000,000-event log, in fresh processes so peak RSS is the fold's own.
{
  log(`replay: building a ${REPLAY_EVENTS}-event log`);
  const { events } = await ours(PHASES, 'normal');
  const dir = tempDir();
  const dbPath = path.join(dir, 'replay.db');
  const written = await buildLog(events, REPLAY_EVENTS, dbPath);
  const folds = [];
  const floors = [];
  for (let i = 0; i < RUNS; i += 1) {
    log(`replay ${i + 1}/${RUNS}`);
    const run = (mode) => JSON.parse(execFileSync(process.execPath, [path.join(root, 'bench', 'replay.mjs'), mode, dbPath], { encoding: 'utf8', maxBuffer: 1 << 20 }));
    folds.push(run('fold'));
    floors.push(run('floor'));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  results.replay = {
    events: written,
    eventsPerSecond: stats(folds.map((r) => r.eventsPerSecond)),
    peakRssMb: stats(folds.map((r) => r.peakRssMb)),
    floorEventsPerSecond: stats(floors.map((r) => r.eventsPerSecond)),
    floorPeakRssMb: stats(floors.map((r) => r.peakRssMb)),
    ratioToFloor: ratios(folds.map((r) => r.seconds), floors.map((r) => r.seconds)),
  };
}

// 4: resume latency, ours and the peer's: from spawn to the first new model request, through the CLI, for a
// run with ~10,000 logged events, against the floor (bare node reads the log's tail and sends one request).
{
  log(`resume: a run with ${RESUME_EVENTS} logged events`);
  const crashed = await crashedRun(RESUME_EVENTS);
  const server = await startModelServer();
  // The first start of a command compiles the CLI and leaves a code cache for the next (src/cli/codeCache.cts):
  // a fresh cache folder makes the first measure the first start after an install.
  const cacheHome = tempDir('autopack-bench-cache-');
  const env = { XDG_CACHE_HOME: cacheHome };
  const first = await resumeToRequest(crashed, server, env);
  const mine = [];
  const base = [];
  const wholeLog = [];
  let logged = 0;
  for (let i = 0; i < RUNS + 2; i += 1) {
    log(`resume ${i + 1}/${RUNS + 2}`);
    mine.push((await resumeToRequest(crashed, server, env)).ms);
    base.push((await floorToRequest(crashed, server)).ms);
    const scripted = await resumeLatency(crashed, env);
    wholeLog.push(scripted.ms);
    logged = scripted.loggedEvents;
  }
  await server.close();
  fs.rmSync(cacheHome, { recursive: true, force: true });
  fs.rmSync(crashed.dir, { recursive: true, force: true });
  results.resume = {
    loggedEvents: logged,
    ms: stats(mine),
    floorMs: stats(base),
    ratioToFloor: ratios(mine, base),
    firstStartMs: first.ms,
    wholeLogReadMs: stats(wholeLog),
  };

  log('resume: LangGraph thread of comparable length');
  const thread = await peerCrashedThread(Math.ceil(RESUME_EVENTS / 6));
  const peer = [];
  for (let i = 0; i < RUNS + 2; i += 1) {
    const copy = tempDir();
    for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(thread.dbPath + suffix)) fs.copyFileSync(thread.dbPath + suffix, path.join(copy, 'lg.db' + suffix));
    // The thread's files are re-created by the resumed phases; a fresh repo copy keeps runs apart.
    const repoCopy = path.join(copy, 'repo');
    fs.cpSync(thread.repo, repoCopy, { recursive: true });
    const started = Date.now();
    const firstNodeAt = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'bench', 'langgraph.mjs'), 'resume', path.join(copy, 'lg.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim().split('\n')[0])) : reject(new Error(`LangGraph resume exited ${code}`))));
    });
    peer.push(firstNodeAt - started);
    fs.rmSync(copy, { recursive: true, force: true });
  }
  fs.rmSync(thread.dir, { recursive: true, force: true });
  results.peer = { resume: { checkpoints: thread.checkpoints, ms: stats(peer) } };
  results.resume.peerRatio = results.resume.ms.median / results.peer.resume.ms.median;
}

// 6: the peer's per-phase overhead and bytes on disk.
{
  const times = [];
  const bytes = [];
  for (let i = 0; i < RUNS; i += 1) {
    log(`LangGraph ${i + 1}/${RUNS}: ${PHASES} phases`);
    const p = await peerOverhead(PHASES);
    times.push(p.msPerPhase);
    bytes.push(p.bytesPerPhase);
  }
  results.peer.msPerPhase = stats(times);
  results.peer.bytesPerPhase = stats(bytes);
}

// 7, 8: the log on PostgreSQL (a throwaway cluster on this machine), or why it was skipped.
results.postgres = await postgresFigures({ phases: PHASES, runs: RUNS, scaleOutRuns: SCALEOUT_RUNS, log });

// 9: what a diff costs, at the sizes that set its limits.
results.diff = diffFigures({ runs: RUNS, log });

const fmt = (s, digits = 2) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const n = results.overhead_normal;
const f = results.overhead_full;
const rows = [
  ['overhead per phase, durability normal', `${fmt(n.msPerPhase, 3)} ms`, `floor ${fmt(n.floorMsPerPhase, 3)} ms`, `x${fmt(n.ratioToFloor)}`],
  ['overhead per phase, durability full', `${fmt(f.msPerPhase, 3)} ms`, `floor ${fmt(f.floorMsPerPhase, 3)} ms`, `x${fmt(f.ratioToFloor)}`],
  ...[n, f].map((o, i) => [
    `  of which, ${i === 0 ? 'normal' : 'full'}: ours with no log / the floor's files alone`,
    `${fmt(o.noLogMsPerPhase, 3)} ms`,
    `files ${fmt(o.floorFilesOnlyMsPerPhase, 3)} ms`,
    `besides the file: x${fmt(o.logAndCpuRatio)}`,
  ]),
  ['events per phase', String(n.eventsPerPhase), '', ''],
  ['log size per phase', `${fmt(results.logBytesPerPhase, 0)} B`, `LangGraph ${fmt(results.peer.bytesPerPhase, 0)} B`, `x${(results.logBytesPerPhase.median / results.peer.bytesPerPhase.median).toFixed(2)}`],
  [`replay of ${results.replay.events} events`, `${fmt({ ...results.replay.eventsPerSecond, median: results.replay.eventsPerSecond.median / 1000, min: results.replay.eventsPerSecond.min / 1000, max: results.replay.eventsPerSecond.max / 1000 }, 0)}k ev/s`, `floor ${(results.replay.floorEventsPerSecond.median / 1000).toFixed(0)}k ev/s`, `x${fmt(results.replay.ratioToFloor)} time`],
  ['replay peak RSS', `${fmt(results.replay.peakRssMb, 0)} MB`, `floor ${results.replay.floorPeakRssMb.median.toFixed(0)} MB`, ''],
  [`resume to first model request (${results.resume.loggedEvents} logged events)`, `${fmt(results.resume.ms, 0)} ms`, `floor ${fmt(results.resume.floorMs, 0)} ms`, `x${fmt(results.resume.ratioToFloor)}`],
  ['resume, first start after install (no code cache)', `${results.resume.firstStartMs.toFixed(0)} ms`, '', ''],
  ['resume with a scripted model (whole log read)', `${fmt(results.resume.wholeLogReadMs, 0)} ms`, 'to its first logged effect', ''],
  ['LangGraph resume (to its first node)', `${fmt(results.peer.resume.ms, 0)} ms`, `${results.peer.resume.checkpoints} checkpoints`, `ours x${results.resume.peerRatio.toFixed(2)} (${(1 / results.resume.peerRatio).toFixed(1)} times faster)`],
  ['LangGraph overhead per phase', `${fmt(results.peer.msPerPhase, 3)} ms`, `ours ${n.msPerPhase.median.toFixed(3)} ms`, `ours x${(n.msPerPhase.median / results.peer.msPerPhase.median).toFixed(2)}`],
  ...postgresRows(results.postgres),
  ...diffRows(results.diff),
];
const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
process.stdout.write(`${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n')}\n\nmedian (min–max) of ${RUNS} runs; ratios pair by pair\n`);
fs.writeFileSync(path.join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
log('wrote bench/results.json');
