import { z } from 'zod';

export const ChangeModeSchema = z.enum(['create', 'modify', 'delete', 'edit']);
export type ChangeMode = z.infer<typeof ChangeModeSchema>;

/**
 * One targeted edit of an existing file: `search` must match exactly one place in the file as it is
 * (exactly, or tolerant of trailing whitespace and of a uniform difference in leading indentation), and is
 * replaced by `replace`. See docs/edits.md.
 */
export const SearchReplaceSchema = z.object({
  search: z.string(),
  replace: z.string(),
});
export type SearchReplace = z.infer<typeof SearchReplaceSchema>;

/**
 * One change proposed by the model. `create` and `modify` carry the complete new file in `new_content`;
 * `delete` carries nothing (null); `edit` carries `edits`, applied all-or-nothing to the existing file.
 */
export const FileChangeSchema = z.object({
  path: z.string(),
  mode: ChangeModeSchema,
  new_content: z.string().nullable().optional(),
  edits: z.array(SearchReplaceSchema).nullable().optional(),
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
  files: z.array(
    z.strictObject({
      path: z.string(),
      mode: ChangeModeSchema,
      new_content: z.string().nullable(),
      edits: z.array(z.strictObject({ search: z.string(), replace: z.string() })).nullable(),
    }),
  ),
});
