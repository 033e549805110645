import { spawn } from 'node:child_process';
import { z } from 'zod';
import { startInspector } from '../inspect/server.js';
import { defaultDecider } from '../runtime/decideApproval.js';
import { cliCommand } from './commandName.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { openLogForWriting, openLogReadonly, requireRun } from './openLog.js';

export const InspectFlagsSchema = z.object({
  repo: z.string().optional(),
  db: z.string().optional(),
  port: z.coerce.number().int('must be a whole number').min(0).max(65_535).default(4317),
  open: z.boolean().default(false),
  allowApprove: z.boolean().default(false),
});

/** Opens the default browser, where there is one; the URL is printed either way. */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

/** Serves the inspector until Ctrl-C; resolves with the exit code once stopped. */
export async function inspectCommand(runId: string | undefined, rawFlags: Record<string, unknown>, io: CliIo): Promise<number> {
  const flags = parseFlags(InspectFlagsSchema, rawFlags);
  // Read-only unless the page may decide, since a decision is appended to the log.
  const { store, dbPath } = flags.allowApprove ? await openLogForWriting(flags) : await openLogReadonly(flags);
  try {
    if (runId !== undefined) await requireRun(store, runId, dbPath);
    const by = defaultDecider();
    const server = await startInspector({ store, port: flags.port, cli: cliCommand(), ...(flags.allowApprove ? { approvals: { by } } : {}) });
    const url = runId === undefined ? server.url : `${server.url}runs/${encodeURIComponent(runId)}`;
    const approvals = flags.allowApprove
      ? `approvals: its page may approve or reject a phase waiting at its gate, as ${by}`
      : `read-only (\`${cliCommand()} inspect --allow-approve\` lets its page approve or reject)`;
    io.stderr(`autopack inspector for ${dbPath}\n  ${url}\n${approvals}\n(Ctrl-C to stop)`);
    if (flags.open) openBrowser(url);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  } finally {
    await store.close();
  }
}
