import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PhaseExecutor } from '../executor/phaseExecutor.js';
import { formatZodError } from '../model/formatZodError.js';
import { AutopackError } from '../model/errors.js';
import type { OrchestrationResult } from '../model/results.js';
import { loadPlan } from '../plan/loadPlan.js';
import { EXIT } from './cliError.js';
import { llmClientFromFlags } from './llmFlag.js';
import { showProgress } from './progress.js';
import type { CliIo } from './io.js';

export const RunFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  maxRetries: z.coerce.number().int('must be a whole number').min(0).max(100).default(3),
  healthChecks: z.boolean().default(true),
  continueOnFailure: z.boolean().default(false),
  llm: z.string().optional(),
  baseUrl: z.url({ error: 'expected a URL such as http://127.0.0.1:11434/v1' }).optional(),
  model: z.string().min(1).optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as MY_OPENAI_KEY').optional(),
  record: z.string().min(1).optional(),
  requestTimeout: z.coerce.number().positive('must be a number of seconds above 0').optional(),
  maxPromptTokens: z.coerce.number().int('must be a whole number').positive().optional(),
  maxTotalTokens: z.coerce.number().int('must be a whole number').positive().optional(),
  maxCostUsd: z.coerce.number().positive('must be an amount in USD above 0').optional(),
  json: z.boolean().default(false),
});
export type RunFlags = z.input<typeof RunFlagsSchema>;

function parseFlags(flags: RunFlags) {
  const parsed = RunFlagsSchema.safeParse(flags);
  if (!parsed.success) {
    const message = formatZodError(parsed.error).replace(/^(\w+):/gm, (_, name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:`);
    throw new AutopackError('INPUT_INVALID', message);
  }
  return parsed.data;
}

function repoRootFrom(flag: string | undefined): string {
  const repo = path.resolve(flag ?? '.');
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) {
    throw new AutopackError('INPUT_INVALID', `--repo ${repo}: no such directory; pass the repository to change`);
  }
  return repo;
}

export function formatSummary(result: OrchestrationResult, dbPath: string): string {
  const cost = result.total_cost_usd === null ? '' : `, $${result.total_cost_usd.toFixed(4)}`;
  const lines = [
    `Run ${result.run_id} ${result.status}: ${result.successful_phases}/${result.total_phases} phase(s) succeeded` +
      (result.failed_phases > 0 ? `, ${result.failed_phases} failed` : '') +
      ` in ${result.total_duration.toFixed(1)} s, ${result.total_tokens} tokens${cost}`,
  ];
  if (result.status === 'interrupted') {
    lines.push(`  interrupted: ${result.stop_reason ?? 'cancelled'}; the log keeps every step done so far`);
  }
  for (const phase of result.phase_results) {
    const retries = phase.retry_count > 0 ? ` after ${phase.retry_count} retr${phase.retry_count === 1 ? 'y' : 'ies'}` : '';
    lines.push(`  ${phase.success ? '✓' : '✗'} ${phase.phase_id}${retries}: ${phase.summary || '(no summary)'}`);
    if (phase.success && phase.files_changed.length > 0) lines.push(`      files: ${phase.files_changed.join(', ')}`);
    for (const error of phase.errors) lines.push(`      ${error.split('\n')[0]}`);
  }
  const notRun = result.total_phases - result.phase_results.length;
  if (notRun > 0 && result.status !== 'interrupted') {
    lines.push(`  ${notRun} phase(s) not run (stopped after a failure; --continue-on-failure runs them)`);
  }
  lines.push(`Log: autopack log ${result.run_id} --db ${dbPath}`);
  return lines.join('\n');
}

export async function runCommand(planFile: string, rawFlags: RunFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(rawFlags);
  // Everything is checked before the executor opens the log, so bad input writes nothing.
  const plan = loadPlan(planFile);
  const repoRoot = repoRootFrom(flags.repo);
  const llmClient = llmClientFromFlags(flags);
  const executor = new PhaseExecutor({
    llmClient,
    repoRoot,
    healthChecks: plan.healthChecks,
    ...(flags.db === undefined ? {} : { dbPath: path.resolve(flags.db) }),
    ...(flags.maxPromptTokens === undefined ? {} : { maxTokens: flags.maxPromptTokens }),
  });
  const progress = showProgress(executor.events$, io.stderr);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      // A second Ctrl-C means now: the log is consistent after every append, so nothing is lost.
      process.exit(EXIT.interrupted);
    }
    io.stderr(`autopack: ${signal} received, stopping (press Ctrl-C again to quit at once)`);
    abort.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await executor.runPlan({
      phases: plan.phases,
      maxRetries: flags.maxRetries,
      enableHealthChecks: flags.healthChecks,
      stopOnFailure: !flags.continueOnFailure,
      signal: abort.signal,
      outputTokens: plan.outputTokens,
      prices: plan.prices,
      budget: {
        ...(flags.maxTotalTokens === undefined ? {} : { maxTotalTokens: flags.maxTotalTokens }),
        ...(flags.maxCostUsd === undefined ? {} : { maxCostUsd: flags.maxCostUsd }),
      },
    });
    io.stdout(flags.json ? JSON.stringify(result, null, 2) : formatSummary(result, executor.dbPath));
    if (result.status === 'interrupted') return EXIT.interrupted;
    return result.failed_phases > 0 ? EXIT.phaseFailed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.unsubscribe();
    executor.close();
  }
}
