// 6: the peer. LangGraph JS with its SQLite checkpointer runs the same six-step phase graph (prompt,
// parse, validate, apply, health check, done; a failed step loops back to prompt) with the same instant
// model and the same file writes. `node bench/langgraph.mjs resume DB` is the resumed process of (4).
import fs from 'node:fs';
import path from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { dbBytes, instantModel, smallFilePlan, tempDir } from './lib.mjs';

const State = Annotation.Root({
  phase: Annotation(),
  phases: Annotation(),
  repo: Annotation(),
  response: Annotation(),
  changes: Annotation(),
  ok: Annotation(),
  attempt: Annotation(),
});

function writeDurably(file, content) {
  const fd = fs.openSync(file, 'wx', 0o644);
  fs.writeSync(fd, content);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

/** The phase graph; with `loop`, `done` moves to the next phase, so one thread runs a whole plan. */
export function phaseGraph(checkpointer, { loop = false, onPrompt = () => {} } = {}) {
  const plan = (state) => smallFilePlan(state.phases)[state.phase];
  return new StateGraph(State)
    .addNode('prompt', async (state) => {
      onPrompt(state);
      const spec = plan(state);
      const response = await instantModel.complete({ messages: [{ role: 'system', content: '' }, { role: 'user', content: spec.description }], maxOutputTokens: 4096 });
      return { response: response.content, attempt: (state.attempt ?? 0) + 1 };
    })
    .addNode('parse', (state) => ({ changes: JSON.parse(state.response).files }))
    .addNode('validate', (state) => ({ ok: state.changes.every((c) => !c.path.startsWith('/') && !c.path.includes('..')) }))
    .addNode('apply', (state) => {
      const backup = path.join(state.repo, '..', 'backups', `phase-${state.phase}-attempt-${state.attempt}`);
      fs.mkdirSync(backup, { recursive: true });
      writeDurably(path.join(backup, 'manifest.json.tmp'), JSON.stringify(state.changes.map((c) => ({ path: c.path }))));
      fs.renameSync(path.join(backup, 'manifest.json.tmp'), path.join(backup, 'manifest.json'));
      for (const change of state.changes) {
        const staged = path.join(state.repo, `.${change.path}.tmp`);
        writeDurably(staged, change.new_content);
        fs.renameSync(staged, path.join(state.repo, change.path));
      }
      return {};
    })
    .addNode('health', (state) => ({ ok: state.changes.every((c) => fs.existsSync(path.join(state.repo, c.path))) }))
    .addNode('done', (state) => (loop ? { phase: state.phase + 1, attempt: 0 } : {}))
    .addEdge(START, 'prompt')
    .addEdge('prompt', 'parse')
    .addEdge('parse', 'validate')
    .addConditionalEdges('validate', (state) => (state.ok ? 'apply' : 'prompt'))
    .addEdge('apply', 'health')
    .addConditionalEdges('health', (state) => (state.ok ? 'done' : 'prompt'))
    .addConditionalEdges('done', (state) => (loop && state.phase < state.phases ? 'prompt' : END))
    .compile({ checkpointer });
}

/** A scratch folder with an empty repository and a SQLite checkpointer. */
function scratch() {
  const dir = tempDir();
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  const dbPath = path.join(dir, 'langgraph.db');
  return { dir, repo, dbPath, checkpointer: SqliteSaver.fromConnString(dbPath) };
}

/** Per-phase overhead: one thread per phase, like one autopack phase machine per phase. */
export async function peerOverhead(phases) {
  const { dir, repo, dbPath, checkpointer } = scratch();
  const graph = phaseGraph(checkpointer);
  const started = performance.now();
  for (let phase = 0; phase < phases; phase += 1) {
    await graph.invoke({ phase, phases, repo, attempt: 0 }, { configurable: { thread_id: `phase-${phase}` } });
  }
  const elapsed = performance.now() - started;
  const files = fs.readdirSync(repo).length;
  if (files !== phases) throw new Error(`LangGraph wrote ${files} of ${phases} files`);
  const bytes = dbBytes(dbPath);
  fs.rmSync(dir, { recursive: true, force: true });
  return { msPerPhase: elapsed / phases, bytesPerPhase: bytes / phases };
}

/**
 * A single thread that ran `phases` phases and died inside the next prompt: its checkpoints are the
 * log the resumed process starts from (comparable to autopack's ~10,000 events).
 */
export async function peerCrashedThread(phases) {
  const { dir, repo, dbPath, checkpointer } = scratch();
  const graph = phaseGraph(checkpointer, {
    loop: true,
    onPrompt: (state) => {
      if (state.phase === phases) throw new Error('simulated crash');
    },
  });
  await graph
    .invoke({ phase: 0, phases: phases + 20, repo, attempt: 0 }, { configurable: { thread_id: 'run' }, recursionLimit: 1_000_000 })
    .catch((error) => {
      if (!String(error.message).includes('simulated crash')) throw error;
    });
  const checkpoints = (await import('better-sqlite3')).default(dbPath, { readonly: true }).prepare('SELECT count(*) AS n FROM checkpoints').get().n;
  return { dir, dbPath, repo, checkpoints };
}

if (process.argv[1] === import.meta.filename && process.argv[2] === 'resume') {
  // The resumed process: continue the thread from its last checkpoint; report when the first node runs.
  const dbPath = process.argv[3];
  const checkpointer = SqliteSaver.fromConnString(dbPath);
  let reported = false;
  const graph = phaseGraph(checkpointer, {
    loop: true,
    onPrompt: () => {
      if (!reported) process.stdout.write(`${Date.now()}\n`);
      reported = true;
    },
  });
  await graph.invoke(null, { configurable: { thread_id: 'run' }, recursionLimit: 1_000_000 });
}
