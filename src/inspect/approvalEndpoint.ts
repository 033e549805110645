/**
 * `POST /api/runs/RUN/approval`: the inspector's one write, a person's decision about the phase waiting
 * at its approval gate. Served only by an inspector started with `--allow-approve`, and only to its own
 * page (writeGuard.ts); the decision is recorded by decideApproval, as `autopack approve` records it.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { AutopackError, type ErrorCode } from '../model/errors.js';
import { decideApproval, type DecidedApproval } from '../runtime/decideApproval.js';
import type { EventStore } from '../store/index.js';
import type { WriteGuard } from './writeGuard.js';

/** Feedback goes into the next attempt's prompt: a few paragraphs, not a file. */
export const MAX_FEEDBACK_CHARS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;

export const ApprovalRequestSchema = z.strictObject({
  approved: z.boolean({ error: 'expected true (approve) or false (reject)' }),
  /** Required to reject: what the model should change. An optional note on an approval. */
  feedback: z.string({ error: 'expected text' }).max(MAX_FEEDBACK_CHARS, `expected at most ${MAX_FEEDBACK_CHARS} characters`).optional(),
  /** The phase the page shows waiting, by id. */
  phaseId: z.string({ error: 'expected a phase id' }).min(1, 'expected a phase id').optional(),
  /** The attempt whose proposal the page shows: a decision is never taken for a later proposal the person has not seen. */
  attempt: z.number({ error: 'expected an attempt number' }).int('expected a whole number').positive('expected an attempt number from 1').optional(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

export interface ApprovalEndpoint {
  store: EventStore;
  guard: WriteGuard;
  /** Who decides: the person running the inspector (user@host). */
  by: string;
  clock: () => number;
}

export interface Reply {
  status: number;
  body: DecidedApproval | { error: string };
}

const refuse = (status: number, error: string): Reply => ({ status, body: { error } });

const STATUS_OF: Partial<Record<ErrorCode, number>> = { APPROVAL_NOT_PENDING: 409, INPUT_INVALID: 400, RUN_NOT_FOUND: 404 };

/** What a read-only inspector answers a decision: how to decide instead, with commands typed as `cli`. */
export function readOnlyReply(runId: string, cli: string): Reply {
  return refuse(
    403,
    `this inspector is read-only: restart it with \`${cli} inspect --allow-approve\` to decide from the page, or run \`${cli} approve ${runId}\` / \`${cli} reject ${runId} --feedback TEXT\``,
  );
}

/** The request's body as text; null when it is longer than `max` bytes (the rest is read and dropped). */
async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
  }
  return size > max ? null : Buffer.concat(chunks).toString('utf8');
}

const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Parses and checks the body; a string says what is wrong with it. */
function parseRequest(text: string): ApprovalRequest | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `body: not JSON (${error instanceof Error ? error.message : String(error)}); expected { "approved": true|false, "feedback"?: "…", "phaseId"?: "…" }`;
  }
  const parsed = ApprovalRequestSchema.safeParse(json);
  return parsed.success ? parsed.data : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

export async function postApproval(req: IncomingMessage, runId: string, endpoint: ApprovalEndpoint): Promise<Reply> {
  const { store, guard } = endpoint;
  const refusal = guard.refusal(req.headers);
  if (refusal !== null) return refuse(403, refusal);
  // An HTML form can post only form encodings and text/plain, and a cross-origin fetch may send JSON only after a preflight we never grant.
  const type = mediaType(req.headers['content-type']);
  if (type !== 'application/json') return refuse(415, `expected Content-Type: application/json, got ${type === '' ? 'none' : type}`);
  if ((await store.version(runId)) === 0) return refuse(404, `no run "${runId}" in this log; GET /api/runs lists them`);
  const text = await readBody(req, MAX_BODY_BYTES);
  if (text === null) return refuse(413, `body: over ${MAX_BODY_BYTES / 1024} KiB; feedback is at most ${MAX_FEEDBACK_CHARS} characters`);
  const request = parseRequest(text);
  if (typeof request === 'string') return refuse(400, request);
  try {
    const choice = {
      approved: request.approved,
      ...(request.feedback === undefined ? {} : { feedback: request.feedback }),
      ...(request.phaseId === undefined ? {} : { phaseId: request.phaseId }),
      ...(request.attempt === undefined ? {} : { attempt: request.attempt }),
      by: endpoint.by,
      via: 'inspector' as const,
    };
    return { status: 200, body: await decideApproval(store, runId, choice, endpoint.clock()) };
  } catch (error) {
    const status = error instanceof AutopackError ? STATUS_OF[error.code] : undefined;
    if (status === undefined || !(error instanceof AutopackError)) throw error;
    return refuse(status, error.message);
  }
}
