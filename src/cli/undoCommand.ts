import { z } from 'zod';
import { undoRun } from '../runtime/undoRun.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { openLogForWriting, requireRun } from './openLog.js';

export const UndoFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  phase: z.string().min(1).optional(),
  json: z.boolean().default(false),
});
export type UndoFlags = z.input<typeof UndoFlagsSchema>;

/** `autopack undo RUN [--phase ID]`: one new commit putting the run's files back; logged in the run. */
export async function undoCommand(runId: string, rawFlags: UndoFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(UndoFlagsSchema, rawFlags);
  const { store, dbPath } = await openLogForWriting(flags);
  try {
    await requireRun(store, runId, dbPath);
    const outcome = await undoRun(store, runId, dbPath, flags.phase === undefined ? {} : { phaseId: flags.phase });
    if (flags.json) io.stdout(JSON.stringify(outcome, null, 2));
    else if (outcome.undone) {
      io.stdout(`undid ${outcome.phases.join(', ')} of run ${runId} in commit ${outcome.commit.slice(0, 12)}: ${outcome.files.join(', ')} as before the run`);
    } else io.stdout(outcome.reason);
    return 0;
  } finally {
    await store.close();
  }
}
