import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ERROR_CODES } from '../model/errors.js';
import type { LLMMessage } from './types.js';

/** Bumped when the line format or the request key changes. */
export const RECORDING_FORMAT_VERSION = 1;

const MessageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/**
 * One line of a recording (JSONL): a request and what came back, an answer or an error. No API keys,
 * no headers, no base URL: a recording can be shared and committed.
 */
export const RecordedExchangeSchema = z.strictObject({
  v: z.literal(RECORDING_FORMAT_VERSION),
  key: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of the request'),
  /** The model the recording client was configured with; replay prices and counts tokens as it. */
  model: z.string().nullable(),
  request: z.strictObject({ messages: z.array(MessageSchema), maxOutputTokens: z.number().int().positive() }),
  response: z
    .strictObject({
      content: z.string(),
      finishReason: z.string(),
      usage: z.strictObject({ promptTokens: z.number().int().nonnegative(), completionTokens: z.number().int().nonnegative() }),
      model: z.string().optional(),
    })
    .optional(),
  error: z.strictObject({ code: z.enum(ERROR_CODES), message: z.string(), retryable: z.boolean() }).optional(),
  recordedAt: z.string(),
});
export type RecordedExchange = z.infer<typeof RecordedExchangeSchema>;

/**
 * A request's identity: what the model was asked and how much it may answer. How the client asked
 * (structured output or not, which server) is left out, so a replay matches whatever recorded it.
 */
export function requestKey(request: { messages: readonly LLMMessage[]; maxOutputTokens: number }): string {
  const canonical = JSON.stringify({
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    maxOutputTokens: request.maxOutputTokens,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
