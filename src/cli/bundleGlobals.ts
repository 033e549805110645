// Injected by scripts/bundle-cli.mjs into the CLI bundle, never imported: within the bundle, code that
// names the global `Headers`, `FormData` or `globalThis.ReadableStream` (the `openai` SDK does, on every
// request) gets these instead. Node defines them as lazy globals: the first two load its fetch engine,
// undici (~35 ms of a resume that otherwise sends its request over node:http,
// src/llm/openai/nodeFetch.ts), the third its web streams (~1.5 ms).
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

/**
 * The SDK asks `body instanceof globalThis.ReadableStream` of every request body, which loads node's web
 * streams. This answers as the global would, by the tag node's streams carry, and makes node's own with
 * `new`. (Read with Reflect.get: the bundle replaces the expression globalThis.ReadableStream with this.)
 */
function LazyReadableStream(...args: ConstructorParameters<typeof globalThis.ReadableStream>): ReadableStream {
  const NodeReadableStream = Reflect.get(globalThis, 'ReadableStream') as typeof globalThis.ReadableStream;
  return new NodeReadableStream(...args);
}
Object.defineProperty(LazyReadableStream, Symbol.hasInstance, {
  value: (value: unknown): boolean => typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object ReadableStream]',
});
export { LazyReadableStream };
