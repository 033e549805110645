import type { z } from 'zod';

/** `phases[2].deliverables[0]: expected a relative path, got "/etc/passwd"` — one line per issue. */
export function formatZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const location = issue.path.reduce<string>(
        (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
        prefix,
      );
      return location === '' ? issue.message : `${location}: ${issue.message}`;
    })
    .join('\n');
}
