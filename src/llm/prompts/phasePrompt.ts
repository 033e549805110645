import { z } from 'zod';
import { ModelResponseWireSchema } from '../../model/fileChange.js';
import type { PhaseSpec } from '../../model/phaseSpec.js';
import type { LLMMessage } from '../types.js';
import { systemMessage, type AnswerFormat } from './answerFormat.js';
import { changeFormFor, countLines, type EditFormat } from './changeForm.js';

export type { AnswerFormat } from './answerFormat.js';
export { EDIT_THRESHOLD_LINES, countLines, type ChangeForm, type EditFormat } from './changeForm.js';

export const PHASE_PROMPT_ID = 'phase';
/** Bump when the wording changes: the version is recorded with every model call in the log. */
export const PHASE_PROMPT_VERSION = 2;

export interface PhasePromptInput {
  spec: PhaseSpec;
  protectedPaths: readonly string[];
  /** The files shown, deliverables first; every deliverable that exists is among them (one that is not is new). */
  contextFiles: readonly { path: string; content: string }[];
  previousErrors: readonly string[];
  attempt: number;
  /** Which existing files to change with edits rather than whole; default `auto`. */
  editFormat?: EditFormat;
  /** How the model writes its answer; the caller decides (default `json`). */
  answerFormat?: AnswerFormat;
  /**
   * Lines on disk of every file the prompt may show (the caller's candidates, before a budget leaves any
   * out or cuts it short), by path; a file not listed is counted from the content shown. The files to
   * change with edits are chosen, and listed, over all of them: the prompt's text apart from the files
   * shown is then the same whichever files the budget leaves out, so a count of the prompt made before
   * optional files are added still holds once they are (fitPrompt relies on it).
   */
  lineCounts?: ReadonlyMap<string, number>;
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

/** A fence longer than any backtick run in the content, so a file cannot close its own block. */
function fenceFor(content: string): string {
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

const bullets = (items: readonly string[], none: string): string =>
  items.length === 0 ? none : items.map((item) => `- ${item}`).join('\n');

export function buildPhasePrompt(input: PhasePromptInput): BuiltPrompt {
  const { spec } = input;
  const editFormat = input.editFormat ?? 'auto';
  const lineCounts = new Map(input.lineCounts);
  for (const file of input.contextFiles) if (!lineCounts.has(file.path)) lineCounts.set(file.path, countLines(file.content));
  const byEdits = [...lineCounts].filter(([, lines]) => changeFormFor(editFormat, lines) === 'edits');
  // Only the forms some file may be asked for are described, so a prompt of small files stays as short as before.
  const asksEdits = byEdits.length > 0;
  const shown = new Set(input.contextFiles.map((file) => file.path));
  const deliverables = spec.deliverables.map((p) => (asksEdits && !shown.has(p) ? `${p} (new: send it whole)` : p));
  const sections = [
    `# Task\n${spec.description}`,
    `Category: ${spec.category}\nComplexity: ${spec.complexity}`,
    `# Acceptance criteria\n${spec.acceptance_criteria.length === 0 ? '(none given)' : spec.acceptance_criteria.map((c, i) => `${i + 1}. ${c}`).join('\n')}`,
    `# Deliverables (files that must exist afterwards)\n${bullets(deliverables, '(none)')}`,
    `# Protected paths (never change these)\n${bullets(input.protectedPaths, '(none)')}`,
  ];
  if (asksEdits) {
    const listed = byEdits.map(([path, lines]) => `${path} (${lines} ${lines === 1 ? 'line' : 'lines'})`);
    sections.push(`# Files to change with edits\nIf you change one of these files, change it with edits; send any other file whole.\n${bullets(listed, '')}`);
  }
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
      { role: 'system', content: systemMessage(input.answerFormat ?? 'json', asksEdits) },
      { role: 'user', content: sections.join('\n\n') },
    ],
  };
}
