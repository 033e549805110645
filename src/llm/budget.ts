import type { RunBudget } from '../model/budget.js';
import { costUsd, type ModelPrice } from './prices.js';

export { RunBudgetSchema, type RunBudget } from '../model/budget.js';

export interface LlmSpend {
  tokens: number;
  costUsd: number;
}

/**
 * Why the next call must not be made, or null when it may. A call is judged by its worst case: the
 * counted prompt plus the whole output limit, since the answer's length is unknown until it arrives.
 */
export function budgetShortfall(
  budget: RunBudget,
  spent: LlmSpend,
  next: { promptTokens: number; maxOutputTokens: number; price: ModelPrice | null },
): string | null {
  const worstTokens = next.promptTokens + next.maxOutputTokens;
  if (budget.maxTotalTokens !== undefined && spent.tokens + worstTokens > budget.maxTotalTokens) {
    return (
      `the token budget would be exceeded: ${spent.tokens} tokens used of ${budget.maxTotalTokens}, and the next call ` +
      `may use up to ${worstTokens} (${next.promptTokens} prompt + ${next.maxOutputTokens} output limit)`
    );
  }
  if (budget.maxCostUsd !== undefined && next.price !== null) {
    const worstCost = costUsd(next.price, { promptTokens: next.promptTokens, completionTokens: next.maxOutputTokens });
    if (spent.costUsd + worstCost > budget.maxCostUsd) {
      return (
        `the cost budget would be exceeded: $${spent.costUsd.toFixed(4)} spent of $${budget.maxCostUsd}, and the next ` +
        `call may cost up to $${worstCost.toFixed(4)}`
      );
    }
  }
  return null;
}
