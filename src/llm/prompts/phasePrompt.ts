import { z } from 'zod';
import { ModelResponseWireSchema } from '../../model/fileChange.js';
import type { PhaseSpec } from '../../model/phaseSpec.js';
import type { LLMMessage } from '../types.js';

export const PHASE_PROMPT_ID = 'phase';
/** Bump when the wording changes: the version is recorded with every model call in the log. */
export const PHASE_PROMPT_VERSION = 1;

export interface PhasePromptInput {
  spec: PhaseSpec;
  protectedPaths: readonly string[];
  contextFiles: readonly { path: string; content: string }[];
  previousErrors: readonly string[];
  attempt: number;
}

export interface BuiltPrompt {
  id: string;
  version: number;
  messages: LLMMessage[];
}

/** The answer's JSON schema, for servers that support structured output; derived, so it cannot drift. */
export const RESPONSE_JSON_SCHEMA: Record<string, unknown> = (() => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(ModelResponseWireSchema);
  return schema;
})();

const SYSTEM = `You are a careful software engineer making changes to a repository. You answer with whole files.

Reply with one JSON object and nothing else:
{ "summary": string, "files": [ { "path": string, "mode": "create" | "modify" | "delete", "new_content": string | null } ] }

Rules:
- "path" is relative to the repository root and uses forward slashes.
- "new_content" is the COMPLETE new content of the file. Never elide with "...", "rest unchanged" or similar: such an answer is rejected.
- Use "create" for a new file, "modify" to replace an existing file, "delete" (with "new_content": null) to remove one.
- Never change a protected path.
- Every deliverable must exist after your change.
- "summary" says in one or two sentences what you changed and why.`;

/** A fence longer than any backtick run in the content, so a file cannot close its own block. */
function fenceFor(content: string): string {
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

const bullets = (items: readonly string[], none: string): string =>
  items.length === 0 ? none : items.map((item) => `- ${item}`).join('\n');

export function buildPhasePrompt(input: PhasePromptInput): BuiltPrompt {
  const { spec } = input;
  const sections = [
    `# Task\n${spec.description}`,
    `Category: ${spec.category}\nComplexity: ${spec.complexity}`,
    `# Acceptance criteria\n${spec.acceptance_criteria.length === 0 ? '(none given)' : spec.acceptance_criteria.map((c, i) => `${i + 1}. ${c}`).join('\n')}`,
    `# Deliverables (files that must exist afterwards)\n${bullets(spec.deliverables, '(none)')}`,
    `# Protected paths (never change these)\n${bullets(input.protectedPaths, '(none)')}`,
  ];
  if (input.contextFiles.length > 0) {
    const files = input.contextFiles.map((file) => {
      const fence = fenceFor(file.content);
      return `## ${file.path}\n${fence}\n${file.content}${file.content.endsWith('\n') ? '' : '\n'}${fence}`;
    });
    sections.push(`# Current files\n${files.join('\n\n')}`);
  }
  if (input.previousErrors.length > 0) {
    sections.push(
      `# Your previous attempt failed (attempt ${input.attempt - 1})\n${bullets(input.previousErrors, '')}\n\n` +
        'Fix these problems and send the complete corrected answer.',
    );
  }
  return {
    id: PHASE_PROMPT_ID,
    version: PHASE_PROMPT_VERSION,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: sections.join('\n\n') },
    ],
  };
}
