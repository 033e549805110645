import os from 'node:os';
import { commitRestoring, commitsTouching, headSha, openGitRepo, uncommittedPaths } from '../git/index.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore } from '../store/eventStore.js';
import type { StoredRunEvent } from '../store/events.js';
import { isDriven } from './lease.js';
import { runStartOf } from './runStart.js';

export interface UndoOptions {
  /** Undo only this phase's commit; default every phase the run committed. */
  phaseId?: string;
  clock?: () => number;
}

export type UndoOutcome =
  | { undone: true; commit: string; phases: string[]; files: string[] }
  | { undone: false; reason: string };

interface PhaseCommit {
  phaseId: string;
  sha: string;
  files: string[];
}

/** The run's phase commits, from its log, in the order they were made. */
function phaseCommits(events: readonly StoredRunEvent[], phaseIds: readonly string[]): PhaseCommit[] {
  return events.flatMap((event) => {
    if (event.type !== 'phase.committed' || !event.data.outcome.ok || event.data.outcome.value.sha === null) return [];
    const { sha, files } = event.data.outcome.value;
    return [{ phaseId: phaseIds[event.data.phaseIndex] ?? `phase-${event.data.phaseIndex + 1}`, sha, files }];
  });
}

const short = (sha: string) => sha.slice(0, 12);

/**
 * Puts the files of a run's commits (or one phase's) back to their content before the run, as one new
 * commit, and logs it as `run.undone`. Which commits are the run's comes from its log, so this works in
 * any later process. Refuses, saying why and what to do, rather than lose anyone's work.
 */
export async function undoRun(store: EventStore, runId: string, dbPath: string, options: UndoOptions = {}): Promise<UndoOutcome> {
  const clock = options.clock ?? Date.now;
  const events = await store.read(runId);
  const start = runStartOf(events[0], runId, dbPath);
  const phaseIds = start.phases.map((p) => p.id);
  if (options.phaseId !== undefined && !phaseIds.includes(options.phaseId)) {
    throw new AutopackError('INPUT_INVALID', `--phase ${options.phaseId}: run ${runId} has no such phase; its phases are ${phaseIds.join(', ')}`);
  }
  if (await isDriven(store, runId)) {
    throw new AutopackError('RUN_LOCKED', `run ${runId} is still being driven by a live process; undo it once it has ended`);
  }
  const worktree = start.options.git?.worktree ?? null;
  if (worktree !== null) {
    throw new AutopackError(
      'INPUT_INVALID',
      `run ${runId} worked on its own branch ${worktree.branch}, not on your checkout: nothing to undo there. ` +
        `To discard its work, delete the branch (git branch -D ${worktree.branch})`,
    );
  }
  const undoneAlready = new Set(events.flatMap((e) => (e.type === 'run.undone' ? e.data.phaseIds : [])));
  const all = phaseCommits(events, phaseIds);
  const targets = all.filter((c) => (options.phaseId === undefined || c.phaseId === options.phaseId) && !undoneAlready.has(c.phaseId));
  if (targets.length === 0) {
    const which = options.phaseId === undefined ? `run ${runId}` : `phase ${options.phaseId} of run ${runId}`;
    const considered = all.filter((c) => options.phaseId === undefined || c.phaseId === options.phaseId);
    const why = considered.length === 0 ? 'made no commit' : 'has been undone already';
    return { undone: false, reason: `nothing to undo: ${which} ${why}` };
  }

  const repo = await openGitRepo(start.repoRoot);
  if (repo === null) throw new AutopackError('GIT_FAILED', `run ${runId} changed ${start.repoRoot}, which is no longer a git repository`);
  const files = [...new Set(targets.flatMap((c) => c.files))].sort();
  const dirty = [...(await uncommittedPaths(repo))].filter((p) => files.includes(p));
  if (dirty.length > 0) {
    throw new AutopackError(
      'UNCOMMITTED_CHANGES',
      `undo would overwrite uncommitted changes in ${dirty.join(', ')}; commit or stash them first, then undo again`,
    );
  }
  const first = targets[0] as PhaseCommit;
  const base = `${first.sha}^`;
  const touching = await commitsTouching(repo, base, files);
  const targetShas = new Set(targets.map((c) => c.sha));
  const missing = targets.filter((c) => !touching.some((t) => t.sha === c.sha));
  if (missing.length > 0) {
    throw new AutopackError(
      'INPUT_INVALID',
      `the commit of phase ${missing.map((c) => `${c.phaseId} (${short(c.sha)})`).join(', ')} is not on the current branch; ` +
        'check out the branch the run committed to, then undo again',
    );
  }
  const phases = targets.map((c) => c.phaseId);
  // The run's own commits already taken back, and its undo commits, are not someone else's later work.
  const undoneShas = new Set([
    ...all.filter((c) => undoneAlready.has(c.phaseId)).map((c) => c.sha),
    ...events.flatMap((e) => (e.type === 'run.undone' ? [e.data.commit] : [])),
  ]);
  const others = touching.filter((t) => !targetShas.has(t.sha) && !undoneShas.has(t.sha));
  // An undo commit of this run for these phases, made by a process that died before logging it.
  const earlierUndo = others.find((t) => t.trailers['Autopack-Run'] === runId && t.trailers['Autopack-Undo'] === phases.join(', '));
  if (earlierUndo !== undefined && others[0]?.sha === earlierUndo.sha) {
    appendUndone(store, runId, { phaseIds: phases, commit: earlierUndo.sha, files }, clock());
    return { undone: true, commit: earlierUndo.sha, phases, files };
  }
  if (others.length > 0) {
    const later = others.map((t) => short(t.sha)).join(', ');
    throw new AutopackError(
      'INPUT_INVALID',
      `${files.join(', ')} changed after the run in commit(s) ${later}, which ${options.phaseId === undefined ? 'are not the run\'s' : 'are not this phase\'s'}; ` +
        'undo stops rather than lose that work. Undo the later phases first, or revert by hand (git revert)',
    );
  }

  const expectedHead = await headSha(repo);
  const message = `Undo autopack run ${runId}${options.phaseId === undefined ? '' : ` phase ${options.phaseId}`}\n\nPuts back, as they were before the run: ${files.join(', ')}`;
  const made = await commitRestoring(repo, {
    files: files.map((path) => ({ path, from: base })),
    message,
    trailers: { 'Autopack-Run': runId, 'Autopack-Undo': phases.join(', ') },
    expectedHead,
  });
  if (made === null) return { undone: false, reason: `nothing to undo: ${files.join(', ')} are already as they were before run ${runId}` };
  await appendUndone(store, runId, { phaseIds: phases, commit: made.sha, files }, clock());
  return { undone: true, commit: made.sha, phases, files };
}

async function appendUndone(store: EventStore, runId: string, data: { phaseIds: string[]; commit: string; files: string[] }, at: number): Promise<void> {
  await store.append(runId, [{ type: 'run.undone', actor: 'orchestrator', source: null, target: null, data: { ...data, pid: process.pid, host: os.hostname() }, at }], {
    expectedVersion: await store.version(runId),
  });
}
