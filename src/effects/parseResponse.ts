import type { ParseResponseInput, ParseResponseOutput } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { parseModelResponse } from '../llm/parseModelResponse.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** Parsing is pure, but it is an actor so its outcome is a logged step that replay reads instead of recomputing. */
export function fromParseResponse(runtime: EffectRuntime) {
  return fromEffect<ParseResponseInput, ParseResponseOutput>(runtime, {
    name: 'parseResponse',
    failureCode: 'RESPONSE_UNPARSEABLE',
    retryable: true,
    pure: true,
    run: async ({ response }) => {
      const parsed = parseModelResponse(response);
      if (parsed.ok) return parsed.value;
      throw new AutopackError(parsed.code, parsed.errors[0] ?? 'the response could not be parsed', {
        retryable: true,
        errors: parsed.errors,
      });
    },
  });
}
