// 4: resume latency: from the start of a new process to its first new effect, for a run whose log
// already holds ~10,000 events (the process died there).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dist, instantModel, smallFilePlan, tempDir } from './lib.mjs';

const { PhaseExecutor, createSqliteEventStore } = await import(dist('index.js'));

/** A store that dies (throws) after `appends` appends, as a killed process would stop writing. */
function dyingAfter(inner, appends) {
  let left = appends;
  return {
    ...inner,
    append(stream, events, options) {
      if (left-- <= 0) throw new Error('simulated crash');
      return inner.append(stream, events, options);
    },
  };
}

/** Runs a plan until its log holds `events` events, then stops writing: returns the run and its files. */
export async function crashedRun(events) {
  const dir = tempDir();
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  const dbPath = path.join(dir, 'log.db');
  const phases = Math.ceil(events / 9) + 20;
  const sqlite = createSqliteEventStore(dbPath);
  const executor = new PhaseExecutor({ llmClient: instantModel, repoRoot: repo, dbPath, eventStore: dyingAfter(sqlite, events) });
  let runId = '';
  await executor
    .runPlan({ phases: smallFilePlan(phases), maxRetries: 0, enableHealthChecks: false, stopOnFailure: true, onRunStarted: (id) => (runId = id) })
    .catch((error) => {
      if (error.message !== 'simulated crash') throw error;
    });
  executor.close();
  sqlite.close();
  // The answers the resumed process will be given, in the order it asks (scripted, from where the log stopped).
  const answers = smallFilePlan(phases).map((p) => ({
    content: JSON.stringify({ summary: p.id, files: [{ path: p.deliverables[0], mode: 'create', new_content: `content of ${p.deliverables[0]}\n` }] }),
    usage: { promptTokens: 400, completionTokens: 40 },
  }));
  fs.writeFileSync(path.join(dir, 'answers.json'), JSON.stringify(answers));
  return { dir, repo, dbPath, runId };
}

/** Spawns `autopack resume` and reads, from the log, when its first new effect finished. */
export async function resumeLatency(crashed) {
  const copy = tempDir();
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(crashed.dbPath + suffix)) fs.copyFileSync(crashed.dbPath + suffix, path.join(copy, 'log.db' + suffix));
  const dbPath = path.join(copy, 'log.db');
  const store0 = createSqliteEventStore(dbPath, { readonly: true });
  const logged = store0.version(crashed.runId);
  store0.close();
  const startedAt = Date.now();
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dist('cli.js'), 'resume', crashed.runId, '--db', dbPath, '--llm', `scripted:${path.join(crashed.dir, 'answers.json')}`, '--json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`resume exited ${code}: ${stderr}`))));
  });
  const store = createSqliteEventStore(dbPath, { readonly: true });
  const after = store.read(crashed.runId, { from: logged + 1 });
  store.close();
  fs.rmSync(copy, { recursive: true, force: true });
  // The first event after run.resumed is the outcome of the first effect run live.
  const firstEffect = after.find((e) => e.type !== 'run.resumed');
  if (firstEffect === undefined) throw new Error('the resumed run did nothing new');
  return { loggedEvents: logged, ms: firstEffect.at - startedAt };
}
