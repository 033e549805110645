import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { orchestratorMachine, phaseMachine } from '../machines/index.js';
import { AutopackError } from '../model/errors.js';
import { defaultDecider } from '../runtime/decideApproval.js';
import { inspectorPage, notFoundPage } from './page.js';
import { stateAt, type EventStore } from '../store/index.js';
import { postApproval, readOnlyReply, type ApprovalEndpoint } from './approvalEndpoint.js';
import { approvalView } from './approvalView.js';
import { eventDetail, listRuns, runView, timelineEntry } from './runsApi.js';
import { toSvg } from './svg.js';
import { createWriteGuard } from './writeGuard.js';

export interface InspectorServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface InspectorOptions {
  /** A read-only store is enough, unless `approvals` is given: then decisions are appended to it. */
  store: EventStore;
  port?: number;
  /** How often live pages are sent new events (ms). */
  pollMs?: number;
  /**
   * Lets the page approve or reject a phase waiting at its approval gate (`POST /api/runs/RUN/approval`,
   * `--allow-approve`); absent, the inspector only reads. Decisions are recorded as made `by` (default
   * user@host) at `clock()` (default Date.now).
   */
  approvals?: { by?: string; clock?: () => number };
  /** How the commands the page suggests are typed (`autopack resume RUN`): `cliCommand()` for the CLI. Default autopack. */
  cli?: string;
}

const RUN_ID = /^run-[\w.-]+$/;

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Never inside another page's frame: a page that framed the inspector could trick a click on Approve.
    'x-frame-options': 'DENY',
    'content-security-policy': "frame-ancestors 'none'",
  });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

/**
 * The local web inspector: a page and its JSON API over one event log, on 127.0.0.1 only. Every asset
 * is in this package (no CDN), the machine pictures are drawn from the machine definitions, and live
 * runs stream new events to the page as server-sent events. It reads only, unless started with
 * `approvals`: then its page may decide approval gates, with a token only that page holds.
 */
export async function startInspector(options: InspectorOptions): Promise<InspectorServer> {
  const { store } = options;
  const pollMs = options.pollMs ?? 250;
  const svgs: Record<string, string> = { orchestrator: toSvg(orchestratorMachine), phase: toSvg(phaseMachine) };
  const streams = new Set<http.ServerResponse>();
  // Made anew at each start, and written only into the page this server serves.
  const token = options.approvals === undefined ? null : randomBytes(32).toString('base64url');
  const cli = options.cli ?? 'autopack';
  const page = inspectorPage({ token, cli });
  // Set once the port is known.
  let approvals: ApprovalEndpoint | null = null;

  const server = http.createServer((req, res) => void route(req, res));

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      // The page holds the token: only to a browser that asked for this server by its own name.
      const misdirected = approvals?.guard.hostRefusal(req.headers) ?? null;
      if (misdirected !== null) return json(res, 403, { error: misdirected });
      if (req.method === 'POST' && parts.length === 4 && parts[0] === 'api' && parts[1] === 'runs' && parts[3] === 'approval') {
        const runId = parts[2] as string;
        const reply = approvals === null ? readOnlyReply(runId, cli) : await postApproval(req, runId, approvals);
        return json(res, reply.status, reply.body);
      }
      if (req.method !== 'GET') {
        return json(res, 405, { error: approvals === null ? 'the inspector only reads' : `${req.method ?? ''} ${url.pathname}: only GET here; the one write is POST /api/runs/RUN/approval` });
      }
      if (parts.length === 0) return send(res, 200, 'text/html; charset=utf-8', page);
      if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (parts[0] === 'runs' && parts.length === 2) {
        const runId = parts[1] as string;
        if (!RUN_ID.test(runId) || (await store.version(runId)) === 0) return send(res, 404, 'text/html; charset=utf-8', notFoundPage(runId));
        return send(res, 200, 'text/html; charset=utf-8', page);
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
      if (parts[3] === 'approval' && parts.length === 4) return json(res, 200, await approvalView(store, runId, events));
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
  if (options.approvals !== undefined && token !== null) {
    approvals = { store, guard: createWriteGuard(actual, token), by: options.approvals.by ?? defaultDecider(), clock: options.approvals.clock ?? Date.now };
  }
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
