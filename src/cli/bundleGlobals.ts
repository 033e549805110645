// Injected by scripts/bundle-cli.mjs into the CLI bundle, never imported: within the bundle, code that
// names the global `Headers` or `FormData` (the `openai` SDK does, on every request) gets these instead.
// Node defines both as lazy globals whose first use loads its fetch engine, undici (~35 ms of a resume
// that otherwise sends its request over node:http, src/llm/openai/nodeFetch.ts).
export { FetchHeaders as Headers } from '../llm/openai/fetchHeaders.js';

/**
 * The SDK asks `body instanceof FormData` of every request body. This answers as the global would,
 * without loading it: node's FormData objects say so in their tag. Made with `new`, it makes node's own.
 */
function LazyFormData(...args: ConstructorParameters<typeof globalThis.FormData>): FormData {
  return new globalThis.FormData(...args);
}
Object.defineProperty(LazyFormData, Symbol.hasInstance, {
  value: (value: unknown): boolean => typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object FormData]',
});
export { LazyFormData as FormData };
