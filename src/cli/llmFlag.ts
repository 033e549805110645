import fs from 'node:fs';
import { AutopackError } from '../model/errors.js';
import { ScriptedLLMClient, loadScript } from '../llm/scriptedClient.js';
import type { LLMClient } from '../llm/types.js';

/** `--llm KIND:ARG`. Only `scripted:FILE` exists so far: answers served in order from a JSON file. */
export function llmClientFromFlag(flag: string | undefined): LLMClient {
  if (flag === undefined) {
    throw new AutopackError(
      'INPUT_INVALID',
      'no model configured: pass --llm scripted:FILE to serve recorded answers from a JSON file (see docs/llm-client.md)',
    );
  }
  const separator = flag.indexOf(':');
  const kind = separator < 0 ? flag : flag.slice(0, separator);
  const arg = separator < 0 ? '' : flag.slice(separator + 1);
  if (kind !== 'scripted' || arg === '') {
    throw new AutopackError('INPUT_INVALID', `--llm ${JSON.stringify(flag)}: expected scripted:FILE`);
  }
  let text: string;
  try {
    text = fs.readFileSync(arg, 'utf8');
  } catch {
    throw new AutopackError('INPUT_INVALID', `--llm scripted:${arg}: cannot read the file; check the path`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AutopackError('INPUT_INVALID', `${arg}: not valid JSON (${(error as Error).message})`);
  }
  return new ScriptedLLMClient(loadScript(json, arg));
}
