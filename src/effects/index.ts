import type { Complexity } from '../model/phaseSpec.js';
import type { LLMClient } from '../llm/types.js';
import { fromApplyChanges } from './applyChanges.js';
import { fromCallLlm } from './callLlm.js';
import type { EffectRuntime } from './fromEffect.js';
import { fromParseResponse } from './parseResponse.js';
import { fromRollbackChanges } from './rollbackChanges.js';
import { fromRunHealthChecks } from './runHealthChecks.js';
import { fromSleep } from './sleep.js';
import { fromValidateChanges } from './validateChanges.js';

export { DEFAULT_OUTPUT_TOKENS } from './callLlm.js';
export { fromEffect } from './fromEffect.js';
export type { EffectDefinition, EffectRuntime } from './fromEffect.js';

export interface PhaseEffectsDeps extends EffectRuntime {
  llmClient: LLMClient;
  repoRoot: string;
  backupRoot: string;
  outputTokens?: Record<Complexity, number>;
}

/** Every effect the phase machine names, implemented; the composition root passes this to provide(). */
export function createPhaseEffects(deps: PhaseEffectsDeps) {
  return {
    callLlm: fromCallLlm(deps),
    parseResponse: fromParseResponse(deps),
    validateChanges: fromValidateChanges(deps),
    applyChanges: fromApplyChanges(deps),
    runHealthChecks: fromRunHealthChecks(deps),
    rollbackChanges: fromRollbackChanges(deps),
    sleep: fromSleep(deps),
  };
}
