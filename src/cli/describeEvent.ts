import type { StoredRunEvent } from '../store/events.js';
import type { BaselineState } from '../store/runState.js';
import { checksFailed, healthCheckErrors, stuckMessage } from '../machines/feedback.js';

const firstLine = (text: string, max = 160): string => {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Which checks already failed before the run's first phase, and so fail no phase (`status`, the inspector). */
export function describeBaseline(baseline: BaselineState): string {
  if (baseline.errors.length > 0) return `baseline: could not be taken (${firstLine(baseline.errors[0] ?? '')}); no check is excused`;
  if (baseline.preExisting.length === 0) return `baseline: every health check passed before the run (${baseline.checks.map((c) => c.name).join(', ')})`;
  return `baseline: ${baseline.preExisting.map((n) => `"${n}"`).join(', ')} failed before the run: pre-existing, ignored in every phase`;
}

/** One human line for a log event: what happened, without the payload. Used by progress and `log`. */
export function describeEvent(event: StoredRunEvent): string {
  switch (event.type) {
    case 'run.started':
      return `run ${event.data.runId} started: ${event.data.phases.length} phase(s) in ${event.data.repoRoot}`;
    case 'run.begun':
      if (event.target === 'checking_baseline') return 'run begun: health checks first, as the repository stands';
      return event.data.phaseIndex === null ? 'nothing to run' : 'run begun';
    case 'baseline.checked':
    case 'baseline.check_errored': {
      const out = event.data.outcome;
      if (!out.ok) return `baseline could not be taken [${out.error.code}]: ${firstLine(out.error.errors[0] ?? '')}; no check is excused`;
      const names = out.value.results.map((r) => `${r.name} ${r.passed ? 'ok' : 'FAILED'}`).join(', ');
      const failing = event.data.preExisting;
      return failing.length === 0
        ? `baseline: every health check passes before the run (${names})`
        : `baseline: ${failing.map((n) => `"${n}"`).join(', ')} already fail${failing.length === 1 ? 's' : ''} before the run; ignored in every phase (${names})`;
    }
    case 'phase.started':
      return `phase ${event.data.phaseId} started`;
    case 'llm.attempted': {
      const { call } = event.data;
      const seconds = `${(call.latencyMs / 1000).toFixed(1)} s`;
      if (call.outcome === 'error') {
        const retry = call.retryInMs === undefined ? '' : `, retrying in ${(call.retryInMs / 1000).toFixed(1)} s`;
        return `attempt ${event.data.attempt}: request ${call.number} to ${call.model} failed after ${seconds}${call.status === undefined ? '' : ` (${call.status})`}: ${firstLine(call.message ?? '')}${retry}`;
      }
      const tokens = `${call.usage.promptTokens}+${call.usage.completionTokens} tokens`;
      const cost = call.costUsd === null ? '' : `, $${call.costUsd.toFixed(4)}`;
      const truncated = call.outcome === 'truncated' ? `, truncated at ${call.maxOutputTokens} output tokens${call.retryInMs === undefined ? '' : ', retrying with more'}` : '';
      return `attempt ${event.data.attempt}: ${call.model} answered request ${call.number} (${tokens}${cost}, ${seconds}${truncated})`;
    }
    case 'llm.completed': {
      const out = event.data.outcome;
      if (!out.ok) return 'model call failed';
      const cut = out.value.context.filter((c) => c.cut !== undefined);
      const cuts = cut.length === 0 ? '' : `; prompt budget cut ${cut.map((c) => `${c.path} (${c.cut?.kind})`).join(', ')}`;
      return `attempt ${event.data.attempt}: model answered (prompt ${out.value.request.promptTokens}/${out.value.request.maxPromptTokens} tokens${cuts})`;
    }
    case 'run.interrupted':
      return `run interrupted (${event.data.reason}): ${event.data.message}`;
    case 'changes.prepared':
      return `attempt ${event.data.attempt}: pre-images saved, replacing ${event.data.files.length} file(s)`;
    case 'run.resumed':
      return `run resumed after event ${event.data.fromSeq} by process ${event.data.pid} on ${event.data.host}`;
    case 'run.undone':
      return `undone: ${event.data.phaseIds.join(', ')} put back as before the run in commit ${event.data.commit.slice(0, 12)} (${event.data.files.join(', ')})`;
    case 'phase.finished':
      return `phase ${event.data.phaseIndex + 1} ${event.data.success ? 'succeeded' : 'failed'}`;
    case 'changes.applied':
      return event.data.outcome.ok
        ? `attempt ${event.data.attempt}: applied ${event.data.outcome.value.files.length} file(s): ${event.data.outcome.value.files.map((f) => f.path).join(', ')}`
        : 'apply failed';
    case 'health.checked': {
      const out = event.data.outcome;
      if (!out.ok) return 'health checks errored';
      const excused = event.data.preExisting ?? [];
      const names = out.value.results.map((r) => `${r.name} ${r.passed ? 'ok' : excused.includes(r.name) ? 'FAILED (pre-existing, ignored)' : 'FAILED'}`).join(', ');
      const failed = checksFailed(out.value.results, excused);
      const failures = healthCheckErrors(out.value.results.filter((r) => !excused.includes(r.name)));
      return `attempt ${event.data.attempt}: health checks ${failed ? 'failed' : 'passed'} (${names})${failures.length > 0 ? `: ${firstLine(failures[0] ?? '')}` : ''}`;
    }
    case 'response.parsed':
      return event.data.outcome.ok ? `attempt ${event.data.attempt}: ${event.data.outcome.value.files.length} change(s) proposed` : 'parsed';
    case 'changes.validated':
      return event.target === 'awaiting_approval' ? `attempt ${event.data.attempt}: changes valid, waiting for approval` : `attempt ${event.data.attempt}: changes valid`;
    case 'approval.requested':
      return `attempt ${event.data.attempt}: approval requested for ${event.data.files.length} file(s): ${event.data.files.map((f) => f.path).join(', ')}`;
    case 'approval.granted':
      return event.data.outcome.ok
        ? `attempt ${event.data.attempt}: approved by ${event.data.outcome.value.by} (${event.data.outcome.value.via})`
        : `attempt ${event.data.attempt}: approval failed`;
    case 'approval.decided':
      return `phase ${event.data.phaseIndex + 1}, attempt ${event.data.attempt}: ${event.data.approved ? 'approved' : 'rejected'} by ${event.data.by} (${event.data.via})`;
    case 'changes.rolled_back': {
      const stuck = event.data.stuck === undefined ? '' : `; ${stuckMessage(event.data.stuck)}`;
      return (event.data.outcome.ok ? `attempt ${event.data.attempt}: rolled back ${event.data.outcome.value.restored.length} file(s)` : 'rolled back') + stuck;
    }
    case 'phase.committed': {
      const out = event.data.outcome;
      if (!out.ok) return 'committed';
      if (out.value.sha === null) return `attempt ${event.data.attempt}: no commit (${out.value.skipped.replaceAll('-', ' ')})`;
      const warning = out.value.warning === undefined ? '' : `; but: ${firstLine(out.value.warning)}`;
      return `attempt ${event.data.attempt}: committed ${out.value.sha.slice(0, 12)}${warning}`;
    }
    case 'backoff.elapsed':
      return `backoff over, starting attempt ${event.data.attempt + 1}`;
    case 'llm.failed':
    case 'response.rejected':
    case 'changes.rejected':
    case 'approval.rejected':
    case 'changes.apply_failed':
    case 'health.check_errored':
    case 'changes.rollback_failed':
    case 'phase.commit_failed':
    case 'backoff.failed': {
      const out = event.data.outcome;
      const errors = out.ok ? [] : out.error.errors;
      const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
      const stuck = event.data.stuck === undefined ? '' : `; ${stuckMessage(event.data.stuck)}`;
      return `attempt ${event.data.attempt} failed [${out.ok ? '' : out.error.code}]: ${firstLine(errors[0] ?? '')}${more}${stuck}`;
    }
    default: {
      const unknownEvent: never = event;
      return String(unknownEvent);
    }
  }
}
