import { AutopackError } from '../model/errors.js';
import { stateAt } from '../store/index.js';
import { describeEvent } from './describeEvent.js';
import type { CliIo } from './io.js';
import { openLogReadonly, requireRun, type LogLocation } from './openLog.js';
import { cliCommand } from './commandName.js';

/** Every actor's state after event SEQ (default: the last), from the fold of the log up to it. */
export async function stateCommand(runId: string, flags: LogLocation & { at?: string; json?: boolean }, io: CliIo): Promise<number> {
  const { store, dbPath } = await openLogReadonly(flags);
  try {
    await requireRun(store, runId, dbPath);
    const events = await store.read(runId);
    const last = events.at(-1)?.seq ?? 0;
    const at = flags.at === undefined ? last : Number(flags.at);
    if (!Number.isInteger(at) || at < 1 || at > last) {
      throw new AutopackError('INPUT_INVALID', `--at ${flags.at}: expected an event number from 1 to ${last} (\`${cliCommand()} log ${runId}\` numbers them)`);
    }
    const states = stateAt(events, at);
    const event = events.find((e) => e.seq === at);
    if (flags.json === true) {
      io.stdout(JSON.stringify({ runId, event, ...states }, null, 2));
      return 0;
    }
    const lines = [
      `after event ${at}/${last}${event === undefined ? '' : ` (${event.type}: ${describeEvent(event)})`}`,
      `run: ${states.status}`,
      `orchestrator  ${states.orchestrator.state ?? '-'}`,
      ...states.phases.map(
        (p) =>
          `${p.actor.padEnd(12)}  ${(p.state ?? '-').padEnd(15)} ${p.status.padEnd(9)} attempt ${p.attempt}  ${p.tokens} tok  ${p.id}` +
          (p.lastErrors.length > 0 && p.status !== 'succeeded' ? `\n${' '.repeat(14)}last errors: ${p.lastErrors.map((e) => e.split('\n')[0]).join('; ')}` : ''),
      ),
    ];
    io.stdout(lines.join('\n'));
    return 0;
  } finally {
    await store.close();
  }
}
