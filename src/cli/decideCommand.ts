import { z } from 'zod';
import { AutopackError } from '../model/errors.js';
import type { RunQueue } from '../store/runQueue.js';
import { decideApproval, type DecidedApproval } from '../runtime/decideApproval.js';
import { cliCommand } from './commandName.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { openLogForWriting, requireRun } from './openLog.js';

export const DecideFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  phase: z.string().min(1).optional(),
  feedback: z.string().optional(),
  by: z.string().min(1).optional(),
  json: z.boolean().default(false),
});
export type DecideFlags = z.input<typeof DecideFlagsSchema>;

/**
 * What happens next, said once: a waiting process goes on by itself, a run parked in the queue goes back
 * to the workers; otherwise the run needs a resume.
 */
function nextStep(decided: DecidedApproval, dbPath: string, parked: boolean): string {
  if (decided.driven) return 'the process waiting at the gate goes on by itself';
  if (parked) return 'it is back in the queue, and the next worker to poll goes on with it';
  return `continue the run with: ${cliCommand()} resume ${decided.runId} --db ${dbPath}`;
}

async function parkedInQueue(queue: RunQueue | null, runId: string): Promise<boolean> {
  if (queue === null) return false;
  return (await queue.list()).some((run) => run.runId === runId && run.state === 'awaiting_approval');
}

/**
 * `autopack approve RUN` / `autopack reject RUN --feedback TEXT`: records a decision about the phase
 * waiting at its approval gate (docs/approval.md). Exit 2 when nothing waits, naming where the run is.
 */
export async function decideCommand(approved: boolean, runId: string, rawFlags: DecideFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(DecideFlagsSchema, rawFlags);
  if (!approved && (flags.feedback ?? '').trim() === '') {
    throw new AutopackError('INPUT_INVALID', '--feedback: a rejection needs feedback, what the model should change (e.g. --feedback "keep the public API as it is")');
  }
  const { store, dbPath, queue } = await openLogForWriting(flags);
  try {
    await requireRun(store, runId, dbPath);
    const decided = await decideApproval(
      store,
      runId,
      {
        approved,
        via: 'cli',
        ...(flags.feedback === undefined ? {} : { feedback: flags.feedback }),
        ...(flags.phase === undefined ? {} : { phaseId: flags.phase }),
        ...(flags.by === undefined ? {} : { by: flags.by }),
      },
      Date.now(),
    );
    if (flags.json) {
      io.stdout(JSON.stringify(decided, null, 2));
    } else {
      const what = approved ? 'approved' : 'rejected';
      const parked = !decided.driven && (await parkedInQueue(queue, runId));
      io.stdout(`${what} phase ${decided.phaseId} (attempt ${decided.attempt}) of run ${runId}, as ${decided.decision.by}; ${nextStep(decided, dbPath, parked)}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
