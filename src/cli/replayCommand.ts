import { AutopackError } from '../model/errors.js';
import { isTransitionEvent } from '../runtime/effectEvents.js';
import { verifyRun } from '../runtime/verifyRun.js';
import { foldRunState, toOrchestrationResult } from '../store/index.js';
import { EXIT } from './cliError.js';
import type { CliIo } from './io.js';
import { openLogReadonly, requireRun, type LogLocation } from './openLog.js';
import { runDetail } from './statusCommand.js';

/**
 * Rebuilds a run's state from its log by the pure fold, with no effect; `--verify` also re-runs the
 * machines over the logged outcomes and checks that they reproduce every logged transition.
 */
export async function replayCommand(runId: string, flags: LogLocation & { verify?: boolean; json?: boolean }, io: CliIo): Promise<number> {
  const { store, dbPath } = await openLogReadonly(flags);
  try {
    await requireRun(store, runId, dbPath);
    const events = await store.read(runId);
    const state = foldRunState(events);
    let verification: { ok: boolean; message: string } | null = null;
    if (flags.verify === true) {
      try {
        await verifyRun(store, runId);
        const transitions = events.filter((e) => isTransitionEvent(e.type)).length;
        verification = { ok: true, message: `verified: the machines reproduce the log's ${transitions} transitions from its ${events.length} events` };
      } catch (error) {
        if (!(error instanceof AutopackError) || (error.code !== 'RESUME_DIVERGED' && error.code !== 'MACHINE_VERSION_MISMATCH')) throw error;
        verification = { ok: false, message: `verification failed: ${error.message}` };
      }
    }
    if (flags.json === true) {
      io.stdout(JSON.stringify({ events: events.length, status: state.status, result: toOrchestrationResult(state), verification }, null, 2));
    } else {
      io.stdout([`replayed ${events.length} events`, ...runDetail(state), ...(verification === null ? [] : [verification.message])].join('\n'));
    }
    return verification?.ok === false ? EXIT.phaseFailed : EXIT.ok;
  } finally {
    await store.close();
  }
}
