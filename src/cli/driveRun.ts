import fs from 'node:fs';
import { worktreeDir } from '../runtime/gitRun.js';
import { describeLocation } from '../store/openEventStore.js';
import type { PhaseExecutor } from '../executor/phaseExecutor.js';
import type { OrchestrationResult } from '../model/results.js';
import { EXIT } from './cliError.js';
import { cliCommand } from './commandName.js';
import type { CliIo } from './io.js';
import { showProgress } from './progress.js';
import { announceGates, askAtGates, decisionHint, type PromptStreams } from './approvalPrompt.js';

/** `dbPath` as it may be printed (a URL without its password); `repoRoot` the user's checkout. */
export function formatSummary(result: OrchestrationResult, dbPath: string, repoRoot: string): string {
  const cost = result.total_cost_usd === null ? '' : `, $${result.total_cost_usd.toFixed(4)}`;
  const lines = [
    `Run ${result.run_id} ${result.status}: ${result.successful_phases}/${result.total_phases} phase(s) succeeded` +
      (result.failed_phases > 0 ? `, ${result.failed_phases} failed` : '') +
      ` in ${result.total_duration.toFixed(1)} s, ${result.total_tokens} tokens${cost}`,
  ];
  if (result.status === 'interrupted') {
    lines.push(`  interrupted: ${result.stop_reason ?? 'cancelled'}; continue with: ${cliCommand()} resume ${result.run_id} --db ${dbPath}`);
  }
  if (result.status === 'awaiting_approval') {
    lines.push(`  awaiting approval: ${result.stop_reason ?? 'a phase waits for approval'}; see the diff with: ${cliCommand()} log ${result.run_id} --diff --db ${dbPath}`);
    lines.push(`  ${decisionHint(result.run_id, ` --db ${dbPath}`)}; then: ${cliCommand()} resume ${result.run_id} --db ${dbPath}`);
  }
  for (const phase of result.phase_results) {
    const retries = phase.retry_count > 0 ? ` after ${phase.retry_count} retr${phase.retry_count === 1 ? 'y' : 'ies'}` : '';
    const commit = phase.commit === null ? '' : ` [${phase.commit.slice(0, 12)}]`;
    lines.push(`  ${phase.success ? '✓' : '✗'} ${phase.phase_id}${retries}${commit}: ${phase.summary || '(no summary)'}`);
    if (phase.success && phase.files_changed.length > 0) lines.push(`      files: ${phase.files_changed.join(', ')}`);
    if (phase.pre_existing.length > 0) lines.push(`      pre-existing failure, ignored: ${phase.pre_existing.join(', ')} (failed before the run too)`);
    for (const error of phase.errors) lines.push(`      ${error.split('\n')[0]}`);
  }
  const notRun = result.total_phases - result.phase_results.length;
  if (notRun > 0 && result.status !== 'interrupted' && result.status !== 'awaiting_approval') {
    lines.push(`  ${notRun} phase(s) not run (stopped after a failure; --continue-on-failure runs them)`);
  }
  if (result.branch !== null) {
    lines.push(`Branch: ${result.branch} holds the run's commits (git log ${result.branch}); your checkout was not touched`);
    const worktree = worktreeDir(repoRoot, result.run_id);
    if (result.status !== 'interrupted' && result.status !== 'awaiting_approval' && fs.existsSync(worktree)) {
      lines.push(`  its worktree was kept at ${worktree}: it holds files that are not committed (git -C ${worktree} status); remove it with git worktree remove`);
    }
  }
  lines.push(`Log: ${cliCommand()} log ${result.run_id} --db ${dbPath}`);
  return lines.join('\n');
}

/**
 * Runs `work` with progress on stderr and Ctrl-C/SIGTERM turned into a clean interruption, prints the
 * result (JSON alone on stdout with --json), and returns the exit code.
 */
export async function driveRun(
  executor: PhaseExecutor,
  options: {
    json: boolean;
    io: CliIo;
    totalPhases?: number;
    /** Whether the run waits at approval gates; then it asks on `prompt` (a terminal), or says how to decide. */
    waitForApproval?: boolean;
    prompt?: PromptStreams | null;
  },
  work: (signal: AbortSignal) => Promise<OrchestrationResult>,
): Promise<number> {
  const { json, io } = options;
  const progress = showProgress(executor.events$, io.stderr, options.totalPhases);
  const prompt = options.prompt === undefined ? terminalStreams() : options.prompt;
  const waits = options.waitForApproval !== false;
  const gates = waits && prompt !== null ? askAtGates(executor, prompt) : announceGates(executor, io.stderr, waits);
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
    const result = await work(abort.signal);
    io.stdout(json ? JSON.stringify(result, null, 2) : formatSummary(result, describeLocation(executor.dbPath), executor.repoRoot));
    if (result.status === 'interrupted') return EXIT.interrupted;
    if (result.status === 'awaiting_approval') return EXIT.awaitingApproval;
    return result.failed_phases > 0 ? EXIT.phaseFailed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.unsubscribe();
    gates.close();
    await executor.close();
  }
}

/** stdin and stderr when both are a terminal: someone is there to answer. */
function terminalStreams(): PromptStreams | null {
  return process.stdin.isTTY === true && process.stderr.isTTY === true ? { input: process.stdin, output: process.stderr } : null;
}
