/** Shared by the client and its lazy wrapper, which must not load the SDK to know them. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_MODEL = 'gpt-4o-mini';
