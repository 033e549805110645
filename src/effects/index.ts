import { fromApplyChanges, type ApplyChangesDeps } from './applyChanges.js';
import { fromAwaitApproval, type ApprovalGate } from './awaitApproval.js';
import { fromCallLlm, type CallLlmDeps } from './callLlm.js';
import { fromCheckBaseline } from './checkBaseline.js';
import { fromCommitChanges, type CommitChangesDeps } from './commitChanges.js';
import { fromParseResponse } from './parseResponse.js';
import { fromRollbackChanges } from './rollbackChanges.js';
import { fromRunHealthChecks } from './runHealthChecks.js';
import { fromSleep } from './sleep.js';
import { fromValidateChanges } from './validateChanges.js';

export type { CallLlmDeps } from './callLlm.js';
export type { ApprovalGate, ApprovalRequest } from './awaitApproval.js';
export type { RunCommits } from './commitChanges.js';
export { fromEffect } from './fromEffect.js';
export type { EffectDefinition, EffectRuntime } from './fromEffect.js';
import type { EffectRuntime } from './fromEffect.js';

export interface PhaseEffectsDeps extends CallLlmDeps, ApplyChangesDeps, CommitChangesDeps {
  /** The user's files with uncommitted changes when the run started: a change to one is refused. */
  uncommittedPaths: ReadonlySet<string>;
  /** Where approval gates get their decisions and log their requests. */
  approvals: ApprovalGate;
}

/** Every effect the phase machine names, implemented; the composition root passes this to provide(). */
export function createPhaseEffects(deps: PhaseEffectsDeps) {
  return {
    callLlm: fromCallLlm(deps),
    parseResponse: fromParseResponse(deps),
    validateChanges: fromValidateChanges(deps),
    awaitApproval: fromAwaitApproval(deps),
    applyChanges: fromApplyChanges(deps),
    runHealthChecks: fromRunHealthChecks(deps),
    rollbackChanges: fromRollbackChanges(deps),
    commitChanges: fromCommitChanges(deps),
    sleep: fromSleep(deps),
  };
}

/** Every effect the orchestrator machine names, implemented. */
export function createOrchestratorEffects(deps: EffectRuntime & { repoRoot: string }) {
  return {
    checkBaseline: fromCheckBaseline(deps),
  };
}
