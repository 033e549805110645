import fs from 'node:fs';
import { z } from 'zod';
import { PhaseExecutor } from '../executor/phaseExecutor.js';
import { readRunStart } from '../runtime/runStart.js';
import { AutopackError } from '../model/errors.js';
import type { RunStartedData, StoredRunEvent } from '../store/index.js';
import { listRunStreams } from '../store/decisions.js';
import { driveRun } from './driveRun.js';
import { BudgetFlagsSchema, DurabilityFlagSchema, LlmConnectionFlagsSchema, budgetFrom, givenConnection, parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { llmClientFromFlags } from './llmFlag.js';
import { dbPathFrom, openLogReadonly, requireRun } from './openLog.js';
import { cliCommand } from './commandName.js';

export const ResumeFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  last: z.boolean().default(false),
  json: z.boolean().default(false),
  wait: z.boolean().default(true),
  ...LlmConnectionFlagsSchema.shape,
  ...BudgetFlagsSchema.shape,
  ...DurabilityFlagSchema.shape,
});
export type ResumeFlags = z.input<typeof ResumeFlagsSchema>;

interface RunToResume {
  runId: string;
  /** The run's first event, handed on to the executor so that the run's start is parsed once. */
  first: StoredRunEvent;
  start: RunStartedData;
}

/** The whole log, read once: a scripted model skips the answers it used, and the executor folds it. */
async function readRun(runId: string, location: { repo?: string | undefined; db?: string | undefined }): Promise<StoredRunEvent[]> {
  const { store } = await openLogReadonly(location);
  try {
    return await store.read(runId);
  } finally {
    await store.close();
  }
}

/**
 * How many answers of a script the run has used: the calls whose outcome the log has. A call logged as
 * attempted but with no outcome (the process died while it was answered) is asked again on resume, and
 * must get the same answer.
 */
function answersUsed(history: readonly StoredRunEvent[]): number {
  const key = (data: { phaseIndex: number; attempt: number }) => `${data.phaseIndex}/${data.attempt}`;
  const decided = new Set(history.flatMap((e) => (e.type === 'llm.completed' || e.type === 'llm.failed' ? [key(e.data)] : [])));
  return history.filter((e) => e.type === 'llm.attempted' && e.data.call.number === 1 && decided.has(key(e.data))).length;
}

async function findRun(runArg: string | undefined, last: boolean, location: { repo?: string | undefined; db?: string | undefined }): Promise<RunToResume> {
  if (runArg === undefined && !last) {
    throw new AutopackError('INPUT_INVALID', `name the run to resume (\`${cliCommand()} runs\` lists them), or pass --last for the latest`);
  }
  if (runArg !== undefined && last) throw new AutopackError('INPUT_INVALID', 'give a run id or --last, not both');
  const { store, dbPath } = await openLogReadonly(location);
  try {
    const runId = runArg ?? (await listRunStreams(store)).at(-1)?.stream;
    if (runId === undefined) throw new AutopackError('RUN_NOT_FOUND', `no runs in ${dbPath}; nothing to resume`);
    await requireRun(store, runId, dbPath);
    return { runId, ...(await readRunStart(store, runId, dbPath)) };
  } finally {
    await store.close();
  }
}

export async function resumeCommand(runArg: string | undefined, rawFlags: ResumeFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(ResumeFlagsSchema, rawFlags);
  const { runId, first, start } = await findRun(runArg, flags.last, flags);
  // A worktree run works in a folder of its own, recreated from its branch if it is gone.
  const checkout = start.options.git?.worktree?.checkout ?? start.repoRoot;
  if (!fs.existsSync(checkout)) {
    throw new AutopackError('INPUT_INVALID', `run ${runId} changes ${checkout}, which no longer exists; it cannot be resumed`);
  }
  // The connection the run was started with, unless the user names another model source now.
  const given = LlmConnectionFlagsSchema.parse(flags);
  const recorded = LlmConnectionFlagsSchema.parse(start.options.llmConnection ?? {});
  const connection = given.llm !== undefined ? given : { ...recorded, ...givenConnection(given) };
  // Only a scripted model needs the whole log before the run goes on (to skip the answers it used).
  const history = connection.llm?.startsWith('scripted:') === true ? await readRun(runId, flags) : undefined;
  const alreadyServed = history === undefined ? 0 : answersUsed(history);
  const executor = new PhaseExecutor({
    llmClient: await llmClientFromFlags(connection, process.env, { alreadyServed }),
    repoRoot: checkout,
    dbPath: dbPathFrom(flags),
    durability: flags.durability,
  });
  const budget = budgetFrom(flags);
  io.stderr(`autopack: resuming ${runId} in ${start.repoRoot}`);
  return driveRun(executor, { json: flags.json, io, totalPhases: start.phases.length, waitForApproval: flags.wait }, (signal) =>
    executor.resume(runId, {
      signal,
      first,
      waitForApproval: flags.wait,
      ...(history === undefined ? {} : { history }),
      ...(Object.keys(budget).length === 0 ? {} : { budget }),
    }),
  );
}
