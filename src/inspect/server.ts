import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { orchestratorMachine, phaseMachine } from '../machines/index.js';
import { AutopackError } from '../model/errors.js';
import { INSPECTOR_PAGE, notFoundPage } from './page.js';
import { stateAt, type EventStore } from '../store/index.js';
import { eventDetail, listRuns, runView, timelineEntry } from './runsApi.js';
import { toSvg } from './svg.js';

export interface InspectorServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface InspectorOptions {
  /** A read-only store is enough: the inspector never writes. */
  store: EventStore;
  port?: number;
  /** How often live pages are sent new events (ms). */
  pollMs?: number;
}

const RUN_ID = /^run-[\w.-]+$/;

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

/**
 * The local web inspector: a page and its JSON API over one event log, on 127.0.0.1 only. Every asset
 * is in this package (no CDN), the machine pictures are drawn from the machine definitions, and live
 * runs stream new events to the page as server-sent events.
 */
export async function startInspector(options: InspectorOptions): Promise<InspectorServer> {
  const { store } = options;
  const pollMs = options.pollMs ?? 250;
  const svgs: Record<string, string> = { orchestrator: toSvg(orchestratorMachine), phase: toSvg(phaseMachine) };
  const streams = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => void route(req, res));

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (req.method !== 'GET') return json(res, 405, { error: 'the inspector only reads' });
      if (parts.length === 0) return send(res, 200, 'text/html; charset=utf-8', INSPECTOR_PAGE);
      if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (parts[0] === 'runs' && parts.length === 2) {
        const runId = parts[1] as string;
        if (!RUN_ID.test(runId) || (await store.version(runId)) === 0) return send(res, 404, 'text/html; charset=utf-8', notFoundPage(runId));
        return send(res, 200, 'text/html; charset=utf-8', INSPECTOR_PAGE);
      }
      if (parts[0] === 'machines' && parts.length === 2 && parts[1]?.endsWith('.svg')) {
        const svg = svgs[parts[1].slice(0, -4)];
        return svg === undefined ? json(res, 404, { error: `no machine ${parts[1]}` }) : send(res, 200, 'image/svg+xml', svg);
      }
      if (parts[0] !== 'api') return send(res, 404, 'text/html; charset=utf-8', notFoundPage(url.pathname));
      if (parts[1] === 'runs' && parts.length === 2) return json(res, 200, await listRuns(store));
      if (parts[1] !== 'runs' || parts[2] === undefined) return json(res, 404, { error: `no such endpoint ${url.pathname}` });
      const runId = parts[2];
      if (!RUN_ID.test(runId) || (await store.version(runId)) === 0) {
        return json(res, 404, { error: `no run "${runId}" in this log; GET /api/runs lists them` });
      }
      const events = await store.read(runId);
      if (parts.length === 3) return json(res, 200, runView(events));
      if (parts[3] === 'state' && parts.length === 4) {
        const last = events.at(-1)?.seq ?? 0;
        const at = url.searchParams.has('at') ? Number(url.searchParams.get('at')) : last;
        if (!Number.isInteger(at) || at < 1 || at > last) return json(res, 400, { error: `at must be an event number from 1 to ${last}` });
        return json(res, 200, stateAt(events, at));
      }
      if (parts[3] === 'events' && parts.length === 5) {
        const detail = eventDetail(events, Number(parts[4]));
        return detail === null ? json(res, 404, { error: `run ${runId} has no event ${parts[4]}` }) : json(res, 200, detail);
      }
      if (parts[3] === 'stream' && parts.length === 4) return stream(runId, Number(url.searchParams.get('after') ?? '0'), res);
      return json(res, 404, { error: `no such endpoint ${url.pathname}` });
    } catch (error) {
      return json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Server-sent events: every event after `after`, then each new one within `pollMs` of its append. */
  function stream(runId: string, after: number, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    streams.add(res);
    let next = Number.isInteger(after) && after > 0 ? after + 1 : 1;
    // One read at a time: a poll that finds the previous one still reading skips its turn.
    let reading = false;
    const push = () => {
      if (reading) return;
      reading = true;
      store
        .read(runId, { from: next })
        .then((events) => {
          for (const event of events) {
            res.write(`id: ${event.seq}\nevent: append\ndata: ${JSON.stringify(timelineEntry(event))}\n\n`);
            next = event.seq + 1;
          }
        })
        .catch(() => {})
        .finally(() => {
          reading = false;
        });
    };
    push();
    const timer = setInterval(push, pollMs);
    res.on('close', () => {
      clearInterval(timer);
      streams.delete(res);
    });
  }

  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new AutopackError('INPUT_INVALID', `port ${port} on 127.0.0.1 is already in use; pick another with --port, or --port 0 for any free one`)
          : error,
      );
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
