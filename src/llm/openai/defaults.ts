import { AutopackError } from '../../model/errors.js';

/** Shared by the client and its lazy wrapper, which must not load the SDK to know them. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_MODEL = 'gpt-4o-mini';

export interface Connection {
  model: string;
  baseURL: string;
  apiKey: string | undefined;
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** The model asked: the option, else AUTOPACK_MODEL, else the default. */
export function resolveModel(model: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return model ?? nonEmpty(env['AUTOPACK_MODEL']) ?? DEFAULT_MODEL;
}

/**
 * Where requests go and as which model, from options or else OPENAI_API_KEY, OPENAI_BASE_URL and
 * AUTOPACK_MODEL. Only api.openai.com needs a key: local servers ignore it.
 */
export function resolveConnection(
  options: { apiKey?: string | undefined; baseURL?: string | undefined; model?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const model = resolveModel(options.model, env);
  const baseURL = (options.baseURL ?? nonEmpty(env['OPENAI_BASE_URL']) ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  if (!URL.canParse(baseURL)) throw new AutopackError('INPUT_INVALID', `base URL ${JSON.stringify(baseURL)} is not a URL (from OPENAI_BASE_URL?)`);
  const apiKey = options.apiKey ?? nonEmpty(env['OPENAI_API_KEY']);
  if (apiKey === undefined && baseURL === OPENAI_BASE_URL) {
    throw new AutopackError(
      'INPUT_INVALID',
      'no API key for api.openai.com: set OPENAI_API_KEY (or name another variable with --api-key-env); for a local server pass --base-url, which needs no key',
    );
  }
  return { model, baseURL, apiKey };
}
