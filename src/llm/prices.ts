import { z } from 'zod';

/** US dollars per million tokens. */
export const ModelPriceSchema = z.strictObject({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;
export const PriceTableSchema = z.record(z.string().min(1), ModelPriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/**
 * OpenAI's published list prices for standard requests (USD per 1M tokens, as of 2025). Prices change
 * and other providers differ: a plan's `prices:` overrides or extends this table.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o': { input_per_mtok: 2.5, output_per_mtok: 10 },
  'gpt-4o-mini': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  'gpt-4.1': { input_per_mtok: 2, output_per_mtok: 8 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'gpt-4.1-nano': { input_per_mtok: 0.1, output_per_mtok: 0.4 },
  'gpt-5': { input_per_mtok: 1.25, output_per_mtok: 10 },
  'gpt-5-mini': { input_per_mtok: 0.25, output_per_mtok: 2 },
  'gpt-5-nano': { input_per_mtok: 0.05, output_per_mtok: 0.4 },
  o3: { input_per_mtok: 2, output_per_mtok: 8 },
  'o3-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
  'o4-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
};

/**
 * The price of a model: an exact entry, else the longest entry the name starts with followed by `-`
 * (so `gpt-4o-2024-08-06` is priced as `gpt-4o`, and `gpt-4o-mini` as itself), else null.
 */
export function priceFor(model: string | undefined, table: PriceTable): ModelPrice | null {
  if (model === undefined) return null;
  const exact = table[model];
  if (exact !== undefined) return exact;
  const prefix = Object.keys(table)
    .filter((key) => model.startsWith(`${key}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? null : (table[prefix] ?? null);
}

export function costUsd(price: ModelPrice, usage: { promptTokens: number; completionTokens: number }): number {
  return (usage.promptTokens * price.input_per_mtok + usage.completionTokens * price.output_per_mtok) / 1_000_000;
}
