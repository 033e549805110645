export { applyEdits } from './applyEdits.js';
export type { EditMatch, EditsOutcome } from './applyEdits.js';
export type { MatchTier } from './match.js';
