import readline from 'node:readline/promises';
import type { Subscription } from 'rxjs';
import { formatFileDiff } from '../diff/formatDiff.js';
import type { PhaseExecutor } from '../executor/phaseExecutor.js';
import { AutopackError } from '../model/errors.js';
import type { StoredRunEvent } from '../store/events.js';
import { cliCommand } from './commandName.js';

type RequestedEvent = Extract<StoredRunEvent, { type: 'approval.requested' }>;

/** Where the inline question is asked: a terminal's stdin, and stderr (stdout stays for results). */
export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The proposal as a person reads it before deciding: the summary, then each file's unified diff. */
export function formatApprovalRequest(event: RequestedEvent): string {
  const { phaseId, attempt, summary, files } = event.data;
  const head = `Phase ${phaseId} (attempt ${attempt}) waits for your approval before writing ${files.length} file(s): ${summary || '(no summary)'}`;
  return [head, ...files.map(formatFileDiff)].join('\n');
}

/** How to decide from another shell; said when nobody is asked inline. `where` is e.g. ` --db PATH`. */
export function decisionHint(runId: string, where = ''): string {
  const cli = cliCommand();
  return `decide with: ${cli} approve ${runId}${where}  or  ${cli} reject ${runId}${where} --feedback "what to change"`;
}

const YES = /^(y|yes)$/i;
const NO = /^(n|no)$/i;

/**
 * Asks at each approval gate the run reaches: shows the diff, then y (approve), n (then the feedback), or
 * any other text (reject, with that text as the feedback). A decision made elsewhere meanwhile
 * (`autopack approve`, the inspector) ends the question. Returns what stops asking.
 */
export function askAtGates(executor: PhaseExecutor, streams: PromptStreams): { close(): void } {
  const rl = readline.createInterface({ input: streams.input, output: streams.output, terminal: false });
  let asking: AbortController | null = null;
  const say = (text: string): void => {
    streams.output.write(`${text}\n`);
  };

  async function decide(event: RequestedEvent, signal: AbortSignal): Promise<void> {
    const options = { phaseId: event.data.phaseId, via: 'terminal' as const };
    for (;;) {
      const answer = (await rl.question('Apply these changes? [y]es, [n]o, or type what to change (rejects): ', { signal })).trim();
      if (YES.test(answer)) {
        await executor.approve(event.stream, options);
        return say('approved; applying');
      }
      const feedback = NO.test(answer) ? (await rl.question('What should the model change? ', { signal })).trim() : answer;
      if (feedback === '') continue;
      await executor.reject(event.stream, feedback, options);
      return say('rejected; the phase tries again with your feedback');
    }
  }

  async function ask(event: RequestedEvent): Promise<void> {
    asking?.abort();
    const controller = new AbortController();
    asking = controller;
    say(formatApprovalRequest(event));
    try {
      await decide(event, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      // Decided elsewhere between the question and the answer: the run goes on with that decision.
      say(`autopack: ${error instanceof AutopackError ? error.message : String(error)}`);
    } finally {
      if (asking === controller) asking = null;
    }
  }

  const subscription: Subscription = executor.events$.subscribe((event) => {
    if (event.type === 'approval.requested') void ask(event);
    else if (event.type === 'approval.granted' || event.type === 'approval.rejected') asking?.abort();
  });
  return {
    close() {
      subscription.unsubscribe();
      asking?.abort();
      rl.close();
    },
  };
}

/**
 * Without a terminal to ask on: the diff and how to decide, once per gate. `waits`: the run waits for the
 * decision (otherwise it stops at the gate, `--no-wait`, and the summary says how to go on).
 */
export function announceGates(executor: PhaseExecutor, write: (line: string) => void, waits: boolean): { close(): void } {
  const subscription = executor.events$.subscribe((event) => {
    if (event.type !== 'approval.requested') return;
    write(formatApprovalRequest(event));
    if (waits) write(`autopack: waiting for a decision; ${decisionHint(event.stream)}`);
  });
  return { close: () => subscription.unsubscribe() };
}
