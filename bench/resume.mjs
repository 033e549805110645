// 4: resume latency: from the spawn of a new process to its first new model request, for a run whose log
// already holds ~10,000 events (the process died there). The model is a local OpenAI-compatible server
// that notes when each request arrives, so ours, the floor (bench/resumeFloor.cjs) and the clock agree.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { dist, instantModel, root, smallFilePlan, tempDir } from './lib.mjs';

const { PhaseExecutor, createSqliteEventStore } = await import(dist('index.js'));
/** The `autopack` command as installed: the package's bin. */
const bin = path.join(root, JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin.autopack);

/** A store that dies (throws) at the append that would take the log past `events` events, as a killed process stops writing. */
function dyingAfter(inner, events) {
  let left = events;
  return {
    ...inner,
    async append(stream, batch, options) {
      if (batch.length > left) throw new Error('simulated crash');
      left -= batch.length;
      return inner.append(stream, batch, options);
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
  await executor.close();
  await sqlite.close();
  // The answers the resumed process will be given, in the order it asks (scripted, from where the log stopped).
  const answers = smallFilePlan(phases).map((p) => ({
    content: JSON.stringify({ summary: p.id, files: [{ path: p.deliverables[0], mode: 'create', new_content: `content of ${p.deliverables[0]}\n` }] }),
    usage: { promptTokens: 400, completionTokens: 40 },
  }));
  fs.writeFileSync(path.join(dir, 'answers.json'), JSON.stringify(answers));
  return { dir, repo, dbPath, runId };
}

/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 that answers at once (or after `delayMs`) with the file the
 * phase asks for (as instantModel does), and resolves `nextRequest()` with when the next one arrived.
 */
export async function startModelServer({ delayMs = 0 } = {}) {
  let waiting = [];
  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    for (const resolve of waiting) resolve(arrivedAt);
    waiting = [];
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no ${req.method} ${req.url}` } }));
        return;
      }
      const request = JSON.parse(body);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const answer = await instantModel.complete({ messages: request.messages });
      const completion = {
        id: `chatcmpl-${arrivedAt}`,
        object: 'chat.completion',
        created: Math.floor(arrivedAt / 1000),
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer.content, refusal: null }, finish_reason: answer.finishReason, logprobs: null }],
        usage: { prompt_tokens: answer.usage.promptTokens, completion_tokens: answer.usage.completionTokens, total_tokens: answer.usage.promptTokens + answer.usage.completionTokens },
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A copy of the crashed log, so that every resume starts from the same one. */
function copyLog(crashed) {
  const copy = tempDir();
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(crashed.dbPath + suffix)) fs.copyFileSync(crashed.dbPath + suffix, path.join(copy, 'log.db' + suffix));
  return { copy, dbPath: path.join(copy, 'log.db') };
}

/** Every path under `dir`, so that what a resume adds to the run's repository can be taken away again. */
function listTree(dir, prefix = '') {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(prefix, entry.name);
    return entry.isDirectory() ? [rel, ...listTree(dir, rel)] : [rel];
  });
}

function removeAdded(dir, before) {
  const known = new Set(before);
  for (const rel of listTree(dir).filter((p) => !known.has(p)).reverse()) fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
}

/** Spawns `args` with node and resolves with its exit once it is done; rejects unless it exits 0. */
function runNode(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/**
 * Spawn to first model request of `autopack resume --llm openai` through the CLI (it reads only the
 * log's tail). The resumed run goes on to its end, so a broken resume fails the bench rather than
 * timing an error.
 */
export async function resumeToRequest(crashed, server, env = {}) {
  const { copy, dbPath } = copyLog(crashed);
  const before = listTree(crashed.repo);
  const args = [bin, 'resume', crashed.runId, '--db', dbPath, '--llm', 'openai', '--base-url', server.baseUrl, '--json'];
  const firstRequest = server.nextRequest();
  const startedAt = Date.now();
  await runNode(args, { ...env, OPENAI_API_KEY: 'test' });
  const ms = (await firstRequest) - startedAt;
  removeAdded(crashed.repo, before);
  fs.rmSync(copy, { recursive: true, force: true });
  return { ms };
}

/** The floor: bare node opens the same log, reads its tail and sends one request (bench/resumeFloor.cjs). */
export async function floorToRequest(crashed, server) {
  const { copy, dbPath } = copyLog(crashed);
  const firstRequest = server.nextRequest();
  const startedAt = Date.now();
  await runNode([path.join(root, 'bench', 'resumeFloor.cjs'), dbPath, crashed.runId, server.baseUrl], {});
  const ms = (await firstRequest) - startedAt;
  fs.rmSync(copy, { recursive: true, force: true });
  return { ms };
}

/**
 * With a scripted model the CLI reads the whole log (to skip the answers already used): spawn to the
 * `at` of the first new logged effect outcome.
 */
export async function resumeLatency(crashed, env = {}) {
  const { copy, dbPath } = copyLog(crashed);
  const before = listTree(crashed.repo);
  const store0 = createSqliteEventStore(dbPath, { readonly: true });
  const logged = await store0.version(crashed.runId);
  await store0.close();
  const startedAt = Date.now();
  await runNode([bin, 'resume', crashed.runId, '--db', dbPath, '--llm', `scripted:${path.join(crashed.dir, 'answers.json')}`, '--json'], env);
  const store = createSqliteEventStore(dbPath, { readonly: true });
  const after = await store.read(crashed.runId, { from: logged + 1 });
  await store.close();
  removeAdded(crashed.repo, before);
  fs.rmSync(copy, { recursive: true, force: true });
  // The first event after run.resumed is the outcome of the first effect run live.
  const firstEffect = after.find((e) => e.type !== 'run.resumed');
  if (firstEffect === undefined) throw new Error('the resumed run did nothing new');
  return { loggedEvents: logged, ms: firstEffect.at - startedAt };
}
