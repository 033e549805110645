import type { CliIo } from './io.js';
import { describeEvent } from './describeEvent.js';
import { openLogReadonly, requireRun, type LogLocation } from './openLog.js';

export function logCommand(runId: string, flags: LogLocation & { json?: boolean }, io: CliIo): number {
  const { store, dbPath } = openLogReadonly(flags);
  try {
    requireRun(store, runId, dbPath);
    for (const event of store.read(runId)) {
      if (flags.json === true) {
        io.stdout(JSON.stringify(event));
        continue;
      }
      const at = new Date(event.at).toISOString().slice(11, 23);
      const move = `${event.source ?? '∅'} → ${event.target ?? '∅'}`;
      io.stdout(`${String(event.seq).padStart(4)} ${at} ${event.actor.padEnd(12)} ${event.type.padEnd(22)} ${move.padEnd(34)} ${describeEvent(event)}`);
    }
    return 0;
  } finally {
    store.close();
  }
}
