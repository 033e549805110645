import path from 'node:path';
import { z } from 'zod';
import { planFromDocument, readPlanDocument } from '../plan/loadPlan.js';
import { createRunId } from '../runtime/runId.js';
import { describeLocation } from '../store/openEventStore.js';
import { resolveRemoteRef } from '../worker/checkout.js';
import { EXIT } from './cliError.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { openQueueLog, queueUrl } from './queueLog.js';
import { cliCommand } from './commandName.js';

export const SubmitFlagsSchema = z.object({
  repo: z.string({ error: 'is required: the git URL every worker clones, e.g. https://host/org/repo.git or /srv/git/repo.git' }).min(1),
  ref: z.string().min(1).default('HEAD'),
  db: z.string().optional(),
  json: z.boolean().default(false),
});
export type SubmitFlags = z.input<typeof SubmitFlagsSchema>;

/** A local path is made absolute, as workers run elsewhere; a URL (scheme:// or user@host:path) is kept. */
function repoLocation(repo: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo) ? repo : path.resolve(repo);
}

/** `autopack submit PLAN --repo URL`: checks the plan and the ref, queues the run, prints its id. */
export async function submitCommand(planFile: string, rawFlags: SubmitFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(SubmitFlagsSchema, rawFlags);
  const dbUrl = queueUrl('submit', flags);
  // Checked here, so a bad plan is refused now rather than by a worker later.
  const document = readPlanDocument(planFile);
  const plan = planFromDocument(planFile, document);
  const repo = repoLocation(flags.repo);
  const baseSha = await resolveRemoteRef(repo, flags.ref);
  const { store, queue, url } = await openQueueLog(dbUrl);
  try {
    const runId = createRunId(Date.now());
    await queue.submit({ runId, plan: document, planFile: path.basename(planFile), repo, ref: flags.ref, baseSha });
    if (flags.json) io.stdout(JSON.stringify({ run_id: runId }));
    else {
      io.stdout(runId);
      io.stderr(
        `Queued ${runId}: ${plan.phases.length} phase(s) on ${repo} at ${flags.ref} (${baseSha.slice(0, 12)}); a worker pushes branch autopack/${runId}.\n` +
          `Start one with: ${cliCommand()} worker --db ${describeLocation(url)}; follow it with: ${cliCommand()} status ${runId} --db ${describeLocation(url)}`,
      );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
