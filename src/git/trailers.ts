import { AutopackError } from '../model/errors.js';

/** Trailer keys git recognises (interpret-trailers): letters, digits and '-'. */
const TRAILER_KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * The full commit message: `message` with trailing whitespace removed, a blank line, then one `Key: value`
 * line per trailer, so the trailers form the message's last paragraph and git reads them back as trailers.
 */
export function formatCommitMessage(message: string, trailers: Readonly<Record<string, string>>): string {
  const body = message.replace(/\s+$/, '');
  if (body.trim() === '') {
    throw new AutopackError('INPUT_INVALID', 'commit message is empty; pass a message whose first line says what the commit does');
  }
  const lines: string[] = [];
  for (const [key, value] of Object.entries(trailers)) {
    if (!TRAILER_KEY.test(key)) {
      throw new AutopackError('INPUT_INVALID', `commit trailer key "${key}" is not a git trailer key; use letters, digits and '-' (e.g. "Autopack-Run")`);
    }
    if (/[\r\n]/.test(value) || value.trim() !== value || value === '') {
      throw new AutopackError('INPUT_INVALID', `commit trailer ${key}: value ${JSON.stringify(value)} must be one non-empty line without surrounding spaces`);
    }
    lines.push(`${key}: ${value}`);
  }
  return lines.length === 0 ? `${body}\n` : `${body}\n\n${lines.join('\n')}\n`;
}

/** `Key: value` lines as printed by `%(trailers:only,unfold)`; a key given twice keeps its last value. */
export function parseTrailerLines(text: string): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    trailers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/** Whether `found` holds every key of `wanted` with the same value. */
export function hasTrailers(found: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([key, value]) => found[key] === value);
}
