import fs from 'node:fs';
import path from 'node:path';
import type { ParseResponseInput, ParseResponseOutput } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { parseModelResponse } from '../llm/parseModelResponse.js';
import { pathTextProblem } from '../validation/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/**
 * Whether a repo-relative path names an existing entry, for the mode of a whole file sent in markdown
 * (`modify` then, so validation's mass-deletion guard applies). A path validation will refuse is not
 * looked up; one that cannot be checked counts as existing, the safer claim (validation then reports it).
 */
function existsIn(repoRoot: string): (file: string) => boolean {
  return (file) => {
    if (pathTextProblem(file) !== null) return false;
    try {
      return fs.lstatSync(path.join(repoRoot, file), { throwIfNoEntry: false }) !== undefined;
    } catch {
      return true;
    }
  };
}

/**
 * Parsing is pure apart from asking whether the files a markdown answer sends whole exist; it is an actor
 * so its outcome is a logged step that replay reads instead of recomputing.
 */
export function fromParseResponse(deps: EffectRuntime & { repoRoot: string }) {
  const exists = existsIn(deps.repoRoot);
  return fromEffect<ParseResponseInput, ParseResponseOutput>(deps, {
    name: 'parseResponse',
    failureCode: 'RESPONSE_UNPARSEABLE',
    retryable: true,
    pure: true,
    run: async ({ response }) => {
      const parsed = parseModelResponse(response, { exists });
      if (parsed.ok) return parsed.value;
      throw new AutopackError(parsed.code, parsed.errors[0] ?? 'the response could not be parsed', {
        retryable: true,
        errors: parsed.errors,
      });
    },
  });
}
