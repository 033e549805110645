import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFetch } from '../../src/llm/openai/nodeFetch.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real server on 127.0.0.1 that records each request and answers with `respond`. */
async function serve(respond: (req: Seen, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      respond(request, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('nodeFetch (the SDK transport over node:http)', () => {
  it('sends the method, headers and body, and gives back status, headers and text', async () => {
    const server = await serve((_req, res) => res.writeHead(201, 'Made', { 'x-request-id': 'r1', 'set-cookie': ['a=1', 'b=2'] }).end('{"ok":true}'));
    const response = await nodeFetch(`${server.url}/v1/x`, {
      method: 'post',
      headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer k' }),
      body: '{"é":1}',
    });

    expect([response.status, response.statusText, response.ok, response.url]).toEqual([201, 'Made', true, `${server.url}/v1/x`]);
    expect(response.headers.get('X-Request-Id')).toBe('r1');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true });
    expect(server.seen[0]).toMatchObject({ method: 'POST', url: '/v1/x', body: '{"é":1}' });
    expect(server.seen[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer k', 'content-length': '8' });
  });

  it('follows a 307 with the same method and body, and drops the key when it leads to another origin', async () => {
    const other = await serve((_req, res) => res.end('there'));
    const server = await serve((req, res) => {
      if (req.url === '/start') res.writeHead(307, { location: '/moved' }).end();
      else if (req.url === '/moved') res.writeHead(308, { location: `${other.url}/final` }).end();
      else res.writeHead(404).end();
    });
    const response = await nodeFetch(`${server.url}/start`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: 'payload' });

    expect(await response.text()).toBe('there');
    expect([response.url, response.redirected]).toEqual([`${other.url}/final`, true]);
    expect(server.seen.map((r) => [r.method, r.url, r.body, r.headers.authorization])).toEqual([
      ['POST', '/start', 'payload', 'Bearer k'],
      ['POST', '/moved', 'payload', 'Bearer k'],
    ]);
    expect(other.seen.map((r) => [r.method, r.body, r.headers.authorization])).toEqual([['POST', 'payload', undefined]]);
  });

  it('continues a 303 as a GET without the body', async () => {
    const server = await serve((req, res) => (req.url === '/post' ? res.writeHead(303, { location: '/result' }).end() : res.end(req.method)));
    const response = await nodeFetch(`${server.url}/post`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(await response.text()).toBe('GET');
    expect(server.seen[1]).toMatchObject({ method: 'GET', body: '' });
    expect(server.seen[1]?.headers['content-type']).toBeUndefined();
  });

  it('decodes a gzip or brotli body that a proxy compressed unasked', async () => {
    const json = JSON.stringify({ text: 'x'.repeat(1000) });
    const server = await serve((req, res) => {
      const gzip = req.url === '/gzip';
      res.writeHead(200, { 'content-encoding': gzip ? 'gzip' : 'br' }).end(gzip ? zlib.gzipSync(json) : zlib.brotliCompressSync(json));
    });
    expect(await (await nodeFetch(`${server.url}/gzip`)).text()).toBe(json);
    expect(await (await nodeFetch(`${server.url}/br`)).text()).toBe(json);
    expect(server.seen[0]?.headers['accept-encoding']).toBeUndefined();
  });

  it('rejects a response cut off before its end, rather than handing on part of it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.destroy(), 20);
    });
    await expect(nodeFetch(server.url)).rejects.toThrow();
  });

  it('rejects with the signal’s reason, an AbortError, when aborted before or during the exchange', async () => {
    const server = await serve(() => {
      // never answers
    });
    const before = new AbortController();
    before.abort();
    await expect(nodeFetch(server.url, { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const during = new AbortController();
    const pending = nodeFetch(server.url, { method: 'POST', body: 'x', signal: during.signal });
    setTimeout(() => during.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
