import fs from 'node:fs';
import { AutopackError } from '../model/errors.js';
import { kebab } from './flags.js';
import { LazyOpenAIClient } from '../llm/openai/lazyOpenAIClient.js';
import type { LLMClient } from '../llm/types.js';

/** The model-related flags of `autopack run`. */
export interface LlmFlags {
  llm?: string | undefined;
  baseUrl?: string | undefined;
  model?: string | undefined;
  apiKeyEnv?: string | undefined;
  record?: string | undefined;
  requestTimeout?: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

async function scriptedClient(file: string, alreadyServed: number): Promise<LLMClient> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new AutopackError('INPUT_INVALID', `--llm scripted:${file}: cannot read the file; check the path`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AutopackError('INPUT_INVALID', `${file}: not valid JSON (${(error as Error).message})`);
  }
  const { ScriptedLLMClient, loadScript } = await import('../llm/scriptedClient.js');
  // A resumed run has already used the first answers: the script goes on from where the log stopped.
  return new ScriptedLLMClient(loadScript(json, file).slice(alreadyServed));
}

function openaiClient(flags: LlmFlags, env: Env): LLMClient {
  const keyVariable = flags.apiKeyEnv ?? 'OPENAI_API_KEY';
  const apiKey = env[keyVariable];
  if (flags.apiKeyEnv !== undefined && !set(apiKey)) {
    throw new AutopackError('INPUT_INVALID', `--api-key-env ${keyVariable}: the environment variable ${keyVariable} is not set`);
  }
  // The SDK is loaded on the first request; the connection is checked now, before anything is written.
  return new LazyOpenAIClient({
    env,
    ...(set(apiKey) ? { apiKey } : {}),
    ...(flags.baseUrl === undefined ? {} : { baseURL: flags.baseUrl }),
    ...(flags.model === undefined ? {} : { model: flags.model }),
    ...(flags.requestTimeout === undefined ? {} : { timeoutMs: Math.round(flags.requestTimeout * 1000) }),
  });
}

/**
 * `--llm openai | scripted:FILE | replay:FILE`, wrapped in a recorder with `--record FILE`. Without
 * `--llm`, an OpenAI-compatible server is used when a key or a base URL is configured. Each client's
 * module is loaded only when it is named: a run against a server loads no script, replay or recorder.
 */
export async function llmClientFromFlags(flags: LlmFlags, env: Env = process.env, options: { alreadyServed?: number } = {}): Promise<LLMClient> {
  const configured = set(flags.baseUrl) || set(env['OPENAI_BASE_URL']) || set(env[flags.apiKeyEnv ?? 'OPENAI_API_KEY']);
  const spec = flags.llm ?? (configured ? 'openai' : undefined);
  if (spec === undefined) {
    throw new AutopackError(
      'INPUT_INVALID',
      'no model configured: set OPENAI_API_KEY, or pass --base-url for a local server (Ollama, vLLM, LM Studio), ' +
        'or --llm replay:FILE to replay a recorded run offline (see docs/llm.md)',
    );
  }
  const separator = spec.indexOf(':');
  const kind = separator < 0 ? spec : spec.slice(0, separator);
  const arg = separator < 0 ? '' : spec.slice(separator + 1);
  const connectionFlags = (['baseUrl', 'model', 'apiKeyEnv', 'requestTimeout'] as const).filter((f) => flags[f] !== undefined);
  if (kind !== 'openai' && connectionFlags.length > 0) {
    const names = connectionFlags.map(kebab).join(', ');
    throw new AutopackError('INPUT_INVALID', `${names} only apply to --llm openai, not to --llm ${kind}`);
  }
  let client: LLMClient;
  if (kind === 'openai' && arg === '') client = openaiClient(flags, env);
  else if (kind === 'scripted' && arg !== '') client = await scriptedClient(arg, options.alreadyServed ?? 0);
  else if (kind === 'replay' && arg !== '') client = (await import('../llm/replayClient.js')).ReplayLLMClient.fromFile(arg);
  else throw new AutopackError('INPUT_INVALID', `--llm ${JSON.stringify(spec)}: expected openai, scripted:FILE or replay:FILE`);
  if (flags.record === undefined) return client;
  const { RecordingLLMClient } = await import('../llm/recordingClient.js');
  return new RecordingLLMClient(client, flags.record);
}
