import type { Observable, Subscription } from 'rxjs';
import type { StoredRunEvent } from '../store/events.js';
import { describeEvent } from './describeEvent.js';

/** Prints one line per meaningful event to a stream (stderr), so stdout stays free for results. */
export function showProgress(events$: Observable<StoredRunEvent>, write: (line: string) => void, knownPhases = 0): Subscription {
  let totalPhases = knownPhases;
  return events$.subscribe((event) => {
    switch (event.type) {
      case 'run.started':
        totalPhases = event.data.phases.length;
        write(`autopack: ${describeEvent(event)}`);
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
      case 'run.begun':
      case 'changes.validated':
      case 'response.parsed':
        return;
      case 'phase.finished':
        return;
      default:
        write(`  ${describeEvent(event)}${event.target === 'retrying' ? ' (will retry)' : ''}`);
        // The phase's own final transition, not the orchestrator's reaction, which is logged after the
        // next phase has already started.
        if (event.target === 'done') write('  ✓ done');
        if (event.target === 'failed') write('  ✗ failed');
    }
  });
}
