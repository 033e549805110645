import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply: a chat completion (content) or an error (status + error body). */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  content?: string;
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: { message: string; type?: string; code?: string | null; param?: string | null };
  /** Waits this long before answering (the client may abort meanwhile). */
  delayMs?: number;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeOpenAIServer {
  /** e.g. http://127.0.0.1:41234/v1 */
  baseURL: string;
  requests: ReceivedRequest[];
  /** Requests whose connection the client closed before the answer was sent. */
  abandoned: number;
  close(): Promise<void>;
}

type Script = readonly FakeReply[] | ((request: ReceivedRequest, index: number) => FakeReply);

function completion(reply: FakeReply, model: string): Record<string, unknown> {
  return {
    id: `chatcmpl-fake-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content ?? '' },
        finish_reason: reply.finishReason ?? 'stop',
      },
    ],
    usage: {
      ...(reply.usage ?? { prompt_tokens: 100, completion_tokens: 50 }),
      total_tokens: (reply.usage?.prompt_tokens ?? 100) + (reply.usage?.completion_tokens ?? 50),
    },
  };
}

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions wire format, answering from a
 * script; what the real SDK sends is kept for assertions. Unscripted requests get a 500 that says so.
 */
export async function startFakeOpenAI(script: Script): Promise<FakeOpenAIServer> {
  const requests: ReceivedRequest[] = [];
  const state = { abandoned: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      const index = requests.length;
      requests.push(received);
      const reply: FakeReply =
        typeof script === 'function'
          ? script(received, index)
          : (script[index] ?? { status: 500, error: { message: `the fake server has no reply scripted for request ${index + 1}` } });
      const send = () => {
        if (res.destroyed) return;
        const status = reply.status ?? (reply.error === undefined ? 200 : 500);
        const payload =
          reply.error === undefined
            ? completion(reply, typeof body['model'] === 'string' ? body['model'] : 'unknown')
            : { error: { type: 'invalid_request_error', code: null, param: null, ...reply.error } };
        res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(payload));
      };
      if (reply.delayMs === undefined) return send();
      const timer = setTimeout(send, reply.delayMs);
      res.on('close', () => {
        if (!res.writableFinished) {
          clearTimeout(timer);
          state.abandoned += 1;
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get abandoned() {
      return state.abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
