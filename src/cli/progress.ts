import type { Observable, Subscription } from 'rxjs';
import type { RunStartedData, StoredRunEvent } from '../store/events.js';
import { describeEvent } from './describeEvent.js';

/** Prints one line per meaningful event to a stream (stderr), so stdout stays free for results. */
export function showProgress(events$: Observable<StoredRunEvent>, write: (line: string) => void, knownPhases = 0): Subscription {
  let totalPhases = knownPhases;
  return events$.subscribe((event) => {
    switch (event.type) {
      case 'run.started':
        totalPhases = event.data.phases.length;
        write(`autopack: ${describeEvent(event)}`);
        for (const line of gitLines(event.data)) write(`autopack: ${line}`);
        return;
      case 'phase.started': {
        write(`[${event.data.phaseIndex + 1}/${totalPhases}] ${event.data.phaseId}`);
        return;
      }
      case 'llm.completed':
        // The attempts already said the model answered; this adds only what the prompt budget cut.
        if (event.data.outcome.ok && event.data.outcome.value.context.some((c) => c.cut !== undefined)) {
          write(`  ${describeEvent(event)}`);
        }
        return;
      case 'phase.committed':
        // Said once at the start when no commits are made at all.
        if (event.data.outcome.ok && event.data.outcome.value.sha === null && event.data.outcome.value.skipped !== 'nothing-changed') return;
        write(`  ${describeEvent(event)}`);
        return;
      case 'run.begun':
      case 'changes.validated':
      case 'response.parsed':
        return;
      case 'phase.finished':
        return;
      default:
        write(`  ${describeEvent(event)}${event.target === 'retrying' ? ' (will retry)' : ''}`);
        // The phase's own final transition, not the orchestrator's reaction to it.
        if (event.target === 'done') write('  ✓ done');
        if (event.target === 'failed') write('  ✗ failed');
    }
  });
}

/** Said once, at the start: where the run's work goes in git, or that it makes no commits. */
function gitLines(start: RunStartedData): string[] {
  const git = start.options.git;
  if (git === undefined) return [];
  if (!git.repository) return [`${start.repoRoot} is not a git repository: no commits are made`];
  const lines: string[] = [];
  if (git.worktree !== null) lines.push(`working in ${git.worktree.path} on branch ${git.worktree.branch}; your checkout is not touched`);
  if (!git.commit) lines.push('--no-commit: the phases\' changes are left uncommitted');
  if (git.allowDirty) lines.push('--allow-dirty: files with uncommitted changes may be overwritten (pre-images under .autonomous_runs/backups/)');
  return lines;
}
