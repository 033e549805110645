import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { formatZodError } from '../model/formatZodError.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import type { AnswerFormat, EditFormat } from '../model/llmSettings.js';
import { AutopackError } from '../model/errors.js';
import { PlanSchema, type Plan } from './planSchema.js';

export interface LoadedPlan {
  file: string;
  phases: Plan['phases'];
  healthChecks: HealthCheckSpec[];
  outputTokens: NonNullable<Plan['output_tokens']>;
  prices: NonNullable<Plan['prices']>;
  /** The plan's own run settings, where it gives them (absent: the flags or the defaults decide). */
  settings: PlanSettings;
}

export interface PlanSettings {
  editFormat?: EditFormat;
  answerFormat?: AnswerFormat;
  stuckAfter?: number;
  baseline?: boolean;
}

function parseText(file: string, text: string): unknown {
  const isJson = path.extname(file).toLowerCase() === '.json';
  try {
    return isJson ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `:${error.linePos[0].line}` : '';
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new AutopackError('PLAN_INVALID', `${file}${where}: not valid ${isJson ? 'JSON' : 'YAML'}: ${message}`);
  }
}

/** Reads and validates a plan; every problem names the file, the phase index and the field. */
export function loadPlan(file: string): LoadedPlan {
  return planFromDocument(file, readPlanDocument(file));
}

/** The plan file's document (YAML or JSON), not yet validated: what `autopack submit` queues. */
export function readPlanDocument(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new AutopackError('PLAN_INVALID', `${file}: cannot read the plan (${reason})`);
  }
  return parseText(file, text);
}

/** `phases[0]` as `phases[0] (id "setup")` when that phase has an id: the name the user knows it by. */
function withPhaseId(where: string, document: unknown, index: number): string {
  const phases: unknown = typeof document === 'object' && document !== null && 'phases' in document ? document.phases : undefined;
  const phase: unknown = Array.isArray(phases) ? phases[index] : undefined;
  const id: unknown = typeof phase === 'object' && phase !== null && 'id' in phase ? phase.id : undefined;
  return typeof id === 'string' && id !== '' ? `${where} (id ${JSON.stringify(id)})` : where;
}

/** Validates a plan document; `file` names where it came from in every message. */
export function planFromDocument(file: string, document: unknown): LoadedPlan {
  if (document === null || document === undefined) {
    throw new AutopackError('PLAN_INVALID', `${file}: the plan is empty; it needs at least "phases:" with one phase (see examples/greeter/plan.yaml)`);
  }
  const parsed = PlanSchema.safeParse(document);
  if (!parsed.success) {
    const lines = formatZodError(parsed.error)
      .split('\n')
      .map((line) => `${file}: ${line.replace(/^phases\[(\d+)\]/, (where, index: string) => withPhaseId(where, document, Number(index)))}`);
    throw new AutopackError('PLAN_INVALID', lines.join('\n'), { errors: lines });
  }
  const ids = parsed.data.phases.map((phase, index) => phase.id ?? `phase-${index + 1}`);
  ids.forEach((id, index) => {
    const first = ids.indexOf(id);
    if (first !== index) {
      throw new AutopackError('PLAN_INVALID', `${file}: phases[${index}].id: "${id}" is already used by phases[${first}]; ids must be unique`);
    }
  });
  return {
    file,
    phases: parsed.data.phases,
    healthChecks: (parsed.data.health_checks ?? []).map((check) => ({
      name: check.name,
      command: check.command,
      ...(check.timeout_ms === undefined ? {} : { timeoutMs: check.timeout_ms }),
      ...(check.baseline === undefined ? {} : { baseline: check.baseline }),
    })),
    outputTokens: parsed.data.output_tokens ?? {},
    prices: parsed.data.prices ?? {},
    settings: {
      ...(parsed.data.edit_format === undefined ? {} : { editFormat: parsed.data.edit_format }),
      ...(parsed.data.answer_format === undefined ? {} : { answerFormat: parsed.data.answer_format }),
      ...(parsed.data.stuck_after === undefined ? {} : { stuckAfter: parsed.data.stuck_after }),
      ...(parsed.data.baseline === undefined ? {} : { baseline: parsed.data.baseline }),
    },
  };
}
