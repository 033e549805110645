import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PhaseExecutor, StuckAfterSchema } from '../executor/phaseExecutor.js';
import { DEFAULT_STUCK_AFTER } from '../machines/index.js';
import { AutopackError } from '../model/errors.js';
import { connectRemoteInspector } from '../inspect/remoteInspector.js';
import { loadPlan } from '../plan/loadPlan.js';
import { driveRun } from './driveRun.js';
import { BudgetFlagsSchema, DurabilityFlagSchema, FormatFlagsSchema, LlmConnectionFlagsSchema, budgetFrom, formatsFrom, givenConnection, parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { llmClientFromFlags } from './llmFlag.js';
import { givenDbPath } from './openLog.js';

export const RunFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  maxRetries: z.coerce.number().int('must be a whole number').min(0).max(100).default(3),
  healthChecks: z.boolean().default(true),
  stuckAfter: z.coerce.number().pipe(StuckAfterSchema).optional(),
  baseline: z.boolean().default(true),
  continueOnFailure: z.boolean().default(false),
  maxPromptTokens: z.coerce.number().int('must be a whole number').positive().optional(),
  json: z.boolean().default(false),
  inspect: z.string().min(1).optional(),
  commit: z.boolean().default(true),
  allowDirty: z.boolean().default(false),
  worktree: z.boolean().default(false),
  approve: z.boolean().default(false),
  wait: z.boolean().default(true),
  ...LlmConnectionFlagsSchema.shape,
  ...BudgetFlagsSchema.shape,
  ...DurabilityFlagSchema.shape,
  ...FormatFlagsSchema.shape,
});
export type RunFlags = z.input<typeof RunFlagsSchema>;

function repoRootFrom(flag: string | undefined): string {
  const repo = path.resolve(flag ?? '.');
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) {
    throw new AutopackError('INPUT_INVALID', `--repo ${repo}: no such directory; pass the repository to change`);
  }
  return repo;
}

export async function runCommand(planFile: string, rawFlags: RunFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(RunFlagsSchema, rawFlags);
  // Everything is checked before the executor opens the log, so bad input writes nothing.
  const plan = loadPlan(planFile);
  const repoRoot = repoRootFrom(flags.repo);
  const connection = LlmConnectionFlagsSchema.parse(flags);
  const dbPath = givenDbPath(flags);
  const executor = new PhaseExecutor({
    llmClient: await llmClientFromFlags(connection),
    repoRoot,
    healthChecks: plan.healthChecks,
    durability: flags.durability,
    commit: flags.commit,
    allowDirty: flags.allowDirty,
    worktree: flags.worktree,
    // A flag given on the command line wins over the plan's own setting.
    ...formatsFrom({ editFormat: flags.editFormat ?? plan.settings.editFormat, answerFormat: flags.answerFormat ?? plan.settings.answerFormat }),
    ...(dbPath === undefined ? {} : { dbPath }),
    ...(flags.maxPromptTokens === undefined ? {} : { maxTokens: flags.maxPromptTokens }),
  });
  const remote = flags.inspect === undefined ? null : connectRemoteInspector(flags.inspect);
  return driveRun(executor, { json: flags.json, io, waitForApproval: flags.wait }, async (signal) => {
    try {
      return await executor.runPlan({
      phases: plan.phases,
      maxRetries: flags.maxRetries,
      enableHealthChecks: flags.healthChecks,
      stuckAfter: flags.stuckAfter ?? plan.settings.stuckAfter ?? DEFAULT_STUCK_AFTER,
      // --no-baseline is the only way the flag says anything: otherwise the plan's setting, else on.
      baseline: flags.baseline && (plan.settings.baseline ?? true),
      stopOnFailure: !flags.continueOnFailure,
      signal,
      outputTokens: plan.outputTokens,
      prices: plan.prices,
      budget: budgetFrom(flags),
      llmConnection: givenConnection(connection),
      requireApproval: flags.approve,
      waitForApproval: flags.wait,
      ...(remote === null ? {} : { inspect: remote.inspect }),
      });
    } finally {
      await remote?.close();
    }
  });
}
