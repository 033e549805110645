import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { FileChange } from '../model/fileChange.js';
import { isAbsent } from '../model/osError.js';
import type { StoredRunEvent } from '../store/events.js';
import { contentAfter } from '../workspace/contentAfter.js';
import { sha256 } from '../workspace/hash.js';
import { resolveInside } from '../workspace/resolveInside.js';

interface LoggedApply {
  phaseIndex: number;
  attempt: number;
  files: FileChange[];
  /** The hashes `changes.prepared` logged, by path: what each file must hold afterwards. */
  after: Map<string, string | null>;
}

/**
 * The change set the phase in progress applied and has neither rolled back, nor had fail its checks, nor
 * committed: what the log says is in the working tree beyond the run's last commit. Null when there is none.
 */
export function pendingApply(history: readonly StoredRunEvent[]): LoggedApply | null {
  let pending: LoggedApply | null = null;
  const parsed = new Map<string, FileChange[]>();
  const prepared = new Map<string, Map<string, string | null>>();
  const key = (phaseIndex: number, attempt: number) => `${phaseIndex}/${attempt}`;
  for (const event of history) {
    switch (event.type) {
      case 'response.parsed':
        if (event.data.outcome.ok) parsed.set(key(event.data.phaseIndex, event.data.attempt), event.data.outcome.value.files);
        break;
      case 'changes.prepared':
        prepared.set(key(event.data.phaseIndex, event.data.attempt), new Map(event.data.files.map((f) => [f.path, f.afterSha256])));
        break;
      case 'changes.applied': {
        const at = key(event.data.phaseIndex, event.data.attempt);
        const files = parsed.get(at);
        if (event.data.outcome.ok && files !== undefined) {
          pending = { phaseIndex: event.data.phaseIndex, attempt: event.data.attempt, files, after: prepared.get(at) ?? new Map() };
        }
        break;
      }
      // Checks that failed lead to a rollback; a rollback or a commit means the tree no longer holds it uncommitted.
      case 'health.checked':
        if (!event.data.outcome.ok) pending = null;
        break;
      case 'health.check_errored':
      case 'changes.rolled_back':
      case 'changes.rollback_failed':
      case 'phase.committed':
      case 'phase.finished':
        pending = null;
        break;
      default:
        break;
    }
  }
  return pending;
}

function readIfPresent(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

/**
 * For a run taken over on another machine, whose working tree is a fresh checkout of the run's last pushed
 * commit: writes the files the phase in progress had applied (from its logged answer), so the tree is what
 * the log says it is, and the resumed machines go on from there (to its checks and commit) without asking
 * the model again. Each file is checked against the hash the log recorded before it was first written.
 * Returns the paths written.
 */
export function rollForward(history: readonly StoredRunEvent[], repoRoot: string): string[] {
  const pending = pendingApply(history);
  if (pending === null) return [];
  for (const change of pending.files) {
    const target = resolveInside(repoRoot, change.path);
    if (change.mode === 'delete') fs.rmSync(target, { force: true });
    else {
      const expected = pending.after.get(change.path);
      const now = readIfPresent(target);
      if (now !== null && expected !== undefined && expected !== null && sha256(now) === expected) continue;
      // An edit's searches apply to the file as the run's last commit has it, which this checkout holds.
      const content = contentAfter(change, now) ?? '';
      if (expected !== undefined && expected !== null && expected !== sha256(content)) {
        throw new AutopackError(
          'RESUME_DIVERGED',
          `phase ${pending.phaseIndex}, attempt ${pending.attempt}: ${change.path} from the logged answer does not hash to what the log recorded as written; the run cannot be rolled forward here`,
        );
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
  return pending.files.map((f) => f.path);
}
