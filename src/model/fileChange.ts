import { z } from 'zod';

export const ChangeModeSchema = z.enum(['create', 'modify', 'delete']);
export type ChangeMode = z.infer<typeof ChangeModeSchema>;

/** One whole-file change proposed by the model; `new_content` is the complete new file (null for delete). */
export const FileChangeSchema = z.object({
  path: z.string(),
  mode: ChangeModeSchema,
  new_content: z.string().nullable().optional(),
});
export type FileChange = z.infer<typeof FileChangeSchema>;

/** What the model is asked to return. Unknown extra fields are ignored, as models add them. */
export const ModelResponseSchema = z.object({
  summary: z.string(),
  files: z.array(FileChangeSchema),
});
export type ModelResponse = z.infer<typeof ModelResponseSchema>;

/**
 * The same answer as a strict wire schema, for servers that enforce structured output: every field
 * required, nothing extra. Whatever it admits, ModelResponseSchema accepts.
 */
export const ModelResponseWireSchema = z.strictObject({
  summary: z.string(),
  files: z.array(z.strictObject({ path: z.string(), mode: ChangeModeSchema, new_content: z.string().nullable() })),
});
