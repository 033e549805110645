import http from 'node:http';
import { FetchHeaders } from './fetchHeaders.js';

/**
 * The `fetch` that OpenAIClient gives the `openai` SDK: one request over `node:http` (`node:https` for
 * https URLs, loaded only then), its whole answer read before it resolves. Node's global fetch loads its
 * fetch engine (undici, ~35 ms) on first use, most of what a resumed run's first model request cost over
 * the bare minimum (issue #12). What the SDK relies on is kept: the abort signal (the SDK's own timeout and
 * the run's cancellation) rejects with its reason, an AbortError; a failed connection rejects with the
 * system error (the SDK turns both into its connection errors); any status resolves, with its headers;
 * redirects are followed as fetch does. Not supported, as autopack never sends them: streamed or form
 * bodies, and a Request object as input.
 */

/** The part of RequestInit the SDK passes. */
export interface NodeFetchInit {
  method?: string | undefined;
  headers?: ConstructorParameters<typeof FetchHeaders>[0] | Headers | undefined;
  body?: unknown;
  signal?: AbortSignal | null | undefined;
  redirect?: 'follow' | 'error' | 'manual' | undefined;
}

const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const textDecoder = new TextDecoder();

/** A fetch Response whose body has been read: what the SDK reads of one (status, headers, text, json). */
export class FetchResponse {
  readonly ok: boolean;
  readonly type = 'basic';
  /** Already read into memory; the SDK only ever hands a body it does not want to a cancel that ignores null. */
  readonly body = null;
  bodyUsed = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: FetchHeaders,
    readonly url: string,
    readonly redirected: boolean,
    private readonly bytes: Buffer,
  ) {
    this.ok = status >= 200 && status <= 299;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const copy = new ArrayBuffer(this.bytes.byteLength);
    new Uint8Array(copy).set(this.bytes);
    return copy;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return textDecoder.decode(this.bytes);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(`nodeFetch sends string or byte bodies only, not ${Object.prototype.toString.call(body)}`);
}

/** Undoes a content-encoding the server applied (none is asked for, but a proxy may apply one anyway). */
async function decoded(bytes: Buffer, encoding: string | null): Promise<Buffer> {
  const coding = encoding?.trim().toLowerCase() ?? '';
  if (coding === '' || coding === 'identity') return bytes;
  const zlib = await import('node:zlib');
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.gunzipSync(bytes);
  if (coding === 'deflate') return zlib.inflateSync(bytes);
  if (coding === 'br') return zlib.brotliDecompressSync(bytes);
  throw new TypeError(`the response is encoded as ${JSON.stringify(encoding)}, which nodeFetch cannot decode`);
}

function responseHeaders(raw: readonly string[]): FetchHeaders {
  const headers = new FetchHeaders();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

interface Sent {
  status: number;
  statusText: string;
  headers: FetchHeaders;
  bytes: Buffer;
}

/** One HTTP exchange, no redirects: resolves once the whole answer has arrived. */
async function exchange(url: URL, method: string, headers: FetchHeaders, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<Sent> {
  const transport = url.protocol === 'https:' ? await import('node:https') : url.protocol === 'http:' ? http : undefined;
  if (transport === undefined) throw new TypeError(`nodeFetch sends http: and https: requests only, not ${url.protocol}`);
  if (signal?.aborted === true) throw abortError(signal);
  const outgoing: Record<string, string> = {};
  for (const [name, value] of headers) outgoing[name] = value;
  if (body !== undefined && outgoing['content-length'] === undefined) outgoing['content-length'] = String(body.byteLength);
  return new Promise<Sent>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: unknown) => finish(() => reject(error));
    const request = transport.request(url, { method, headers: outgoing }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('close', () => {
        if (!response.complete) fail(new Error(`the connection to ${url.host} closed before the whole response arrived`));
      });
      response.on('end', () => {
        const received = responseHeaders(response.rawHeaders);
        decoded(Buffer.concat(chunks), received.get('content-encoding')).then(
          (bytes) => finish(() => resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: received, bytes })),
          fail,
        );
      });
    });
    const onAbort = () => {
      const reason = abortError(signal as AbortSignal);
      request.destroy();
      fail(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', fail);
    request.end(body);
  });
}

export async function nodeFetch(input: string | URL, init: NodeFetchInit = {}): Promise<FetchResponse> {
  if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('nodeFetch takes a URL (string or URL), not a Request');
  let url = new URL(input);
  let method = (init.method ?? 'GET').toUpperCase();
  const headers = new FetchHeaders(init.headers as ConstructorParameters<typeof FetchHeaders>[0]);
  let body = bodyBytes(init.body);
  const signal = init.signal ?? undefined;
  for (let redirects = 0; ; redirects += 1) {
    const sent = await exchange(url, method, headers, body, signal);
    const location = sent.headers.get('location');
    if (!REDIRECT_STATUSES.has(sent.status) || location === null || init.redirect === 'manual') {
      return new FetchResponse(sent.status, sent.statusText, sent.headers, url.href, redirects > 0, sent.bytes);
    }
    if (init.redirect === 'error') throw new TypeError(`${url.href} redirected (${sent.status}) and redirects were refused`);
    if (redirects === MAX_REDIRECTS) throw new TypeError(`${url.href}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
    if (sent.status === 303 || ((sent.status === 301 || sent.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
    }
    // Credentials are not sent to another origin.
    if (next.origin !== url.origin) headers.delete('authorization');
    url = next;
  }
}
