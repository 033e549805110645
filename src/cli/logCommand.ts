import { setTimeout as sleep } from 'node:timers/promises';
import { appliedDiffs, formatFileDiff } from '../diff/index.js';
import { AutopackError } from '../model/errors.js';
import { isDriven } from '../runtime/lease.js';
import { decisionHint } from './approvalPrompt.js';
import { evolveRunStateInPlace, initialRunState, type RunState, type StoredRunEvent } from '../store/index.js';
import type { CliIo } from './io.js';
import { cliCommand } from './commandName.js';
import { describeEvent } from './describeEvent.js';
import { openLogReadonly, requireRun, type LogLocation } from './openLog.js';

const FOLLOW_POLL_MS = 200;
const ENDED: ReadonlySet<RunState['status']> = new Set(['succeeded', 'failed', 'stopped', 'interrupted']);

function formatEvent(event: StoredRunEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  const at = new Date(event.at).toISOString().slice(11, 23);
  const move = `${event.source ?? '∅'} → ${event.target ?? '∅'}`;
  return `${String(event.seq).padStart(4)} ${at} ${event.actor.padEnd(12)} ${event.type.padEnd(22)} ${move.padEnd(34)} ${describeEvent(event)}`;
}

/**
 * Prints a run's events; with `follow`, keeps printing new ones as they are appended until the run ends;
 * with `diff`, each applied file's unified diff after its `changes.applied` line, and each proposed file's
 * after its `approval.requested` line.
 */
export async function logCommand(runId: string, flags: LogLocation & { json?: boolean; follow?: boolean; diff?: boolean }, io: CliIo): Promise<number> {
  if (flags.diff === true && flags.json === true) {
    throw new AutopackError('INPUT_INVALID', `--diff prints unified diffs as text and --json prints events as data: use one; \`autopack inspect\` serves the diffs as data (GET /api/runs/${runId}/events/SEQ)`);
  }
  const { store, dbPath } = await openLogReadonly(flags);
  try {
    await requireRun(store, runId, dbPath);
    let state = initialRunState();
    let next = 1;
    // The events so far, kept only for --diff: an apply's diff reads its attempt's proposal.
    const seen: StoredRunEvent[] = [];
    for (;;) {
      for (const event of await store.read(runId, { from: next })) {
        io.stdout(formatEvent(event, flags.json === true));
        state = evolveRunStateInPlace(state, event);
        next = event.seq + 1;
        if (flags.diff !== true) continue;
        seen.push(event);
        if (event.type === 'changes.applied') for (const diff of appliedDiffs(seen, event)) io.stdout(formatFileDiff(diff));
        // What a person was asked to approve: the proposal against the files as they were then.
        if (event.type === 'approval.requested') for (const diff of event.data.files) io.stdout(formatFileDiff(diff));
      }
      if (flags.follow !== true || ENDED.has(state.status)) return 0;
      if (!(await isDriven(store, runId))) {
        if (state.status === 'awaiting_approval') {
          io.stderr(`autopack: ${runId} stopped at an approval gate; ${decisionHint(runId)}, then \`${cliCommand()} resume ${runId}\``);
          return 0;
        }
        io.stderr(`autopack: no process is driving ${runId} (it crashed or was stopped); \`${cliCommand()} resume ${runId}\` continues it`);
        return 0;
      }
      await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    await store.close();
  }
}
