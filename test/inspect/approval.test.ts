import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhaseExecutor, ScriptedLLMClient, createSqliteEventStore, type EventStore } from '../../src/index.js';
import { startInspector, type InspectorServer } from '../../src/inspect/server.js';
import { readDecisions } from '../../src/store/decisions.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';
import { runAwaitingApproval, type GatedRun } from '../support/gatedRun.js';

const tempDir = useTempDirs();
let run: GatedRun;
let server: InspectorServer | undefined;
let store: EventStore | undefined;
beforeEach(async () => {
  run = await runAwaitingApproval(tempDir());
});
afterEach(async () => {
  await server?.close();
  await store?.close();
  await run.executor.close();
  server = undefined;
  store = undefined;
});

async function serve(allowApprove: boolean, dbPath = run.dbPath): Promise<InspectorServer> {
  // A decision is appended to the log: the inspector that may decide needs a writable store.
  store = createSqliteEventStore(dbPath, allowApprove ? {} : { readonly: true });
  server = await startInspector({ store, port: 0, ...(allowApprove ? { approvals: { by: 'tester', clock: () => 1_700_000_000_000 } } : {}) });
  return server;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host, nor leave out its own). */
function request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server?.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const errorOf = (answer: Answer): string => (JSON.parse(answer.body) as { error: string }).error;

/** The token the inspector wrote into its page, or null when it wrote none. */
async function tokenInPage(): Promise<string | null> {
  const page = await request('GET', '/');
  return /<meta name="autopack-token" content="([^"]+)">/.exec(page.body)?.[1] ?? null;
}

/** What the page's own script sends: JSON, with the token, from the inspector's own origin. */
function fromPage(token: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-autopack-token': token, origin: `http://127.0.0.1:${server?.port}`, 'sec-fetch-site': 'same-origin' };
}

const approvalPath = () => `/api/runs/${run.runId}/approval`;
const post = (headers: Record<string, string>, body: unknown) => request('POST', approvalPath(), headers, typeof body === 'string' ? body : JSON.stringify(body));

async function decisions(): Promise<{ approved: boolean; by: string; via: string; feedback: string | null }[]> {
  const reader = createSqliteEventStore(run.dbPath, { readonly: true });
  try {
    return (await readDecisions(reader, run.runId)).decisions;
  } finally {
    await reader.close();
  }
}

describe('approving from the inspector (HTTP, real run stopped at its gate)', () => {
  it('a read-only inspector shows the waiting diff but refuses to decide, saying how to', async () => {
    await serve(false);
    expect(await tokenInPage()).toBeNull();
    const view = JSON.parse((await request('GET', approvalPath())).body) as unknown;
    expect(view).toMatchObject({
      status: 'awaiting_approval',
      driven: false,
      decisions: [],
      waiting: {
        phaseId: 'greet',
        attempt: 1,
        summary: 'greet hi',
        decision: null,
        files: [{ kind: 'text', path: 'greet.txt', hunks: [{ lines: [{ op: '-', text: 'hello' }, { op: '+', text: 'hi' }] }] }],
      },
    });
    const refused = await post({ 'content-type': 'application/json' }, { approved: true });
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toContain('inspect --allow-approve');
    expect(errorOf(refused)).toContain(`approve ${run.runId}`);
    expect(await decisions()).toEqual([]);
  });

  it('refuses a decision without the page\'s token, or with a wrong one, recording nothing', async () => {
    await serve(true);
    const token = await tokenInPage();
    expect(token).toMatch(/^[\w-]{43}$/);
    const { 'x-autopack-token': _token, ...noToken } = fromPage(token ?? '');
    const missing = await post(noToken, { approved: true });
    expect([missing.status, errorOf(missing)]).toEqual([403, expect.stringContaining('no X-Autopack-Token')]);
    const wrong = await post(fromPage(`${token ?? ''}x`), { approved: true });
    expect([wrong.status, errorOf(wrong)]).toEqual([403, expect.stringContaining('a wrong X-Autopack-Token')]);
    expect(await decisions()).toEqual([]);
  });

  it('refuses requests from another origin, another site, or to another host name, even with the token', async () => {
    await serve(true);
    const token = (await tokenInPage()) ?? '';
    const good = fromPage(token);
    const otherOrigin = await post({ ...good, origin: 'http://127.0.0.1:1' }, { approved: true });
    expect([otherOrigin.status, errorOf(otherOrigin)]).toEqual([403, 'refused: a page from http://127.0.0.1:1 may not decide approvals; only the inspector\'s own page, ' + server?.url + ', can']);
    const evil = await post({ ...good, origin: 'https://evil.example' }, { approved: true });
    expect(evil.status).toBe(403);
    const { origin: _origin, ...noOrigin } = good;
    const sameSite = await post({ ...noOrigin, 'sec-fetch-site': 'same-site' }, { approved: true });
    expect([sameSite.status, errorOf(sameSite)]).toEqual([403, expect.stringContaining('from a same-site page (Sec-Fetch-Site)')]);
    // DNS rebinding: a foreign name that resolves to 127.0.0.1 gets neither a decision nor the page with the token.
    const rebound = await post({ ...good, host: `evil.example:${server?.port}`, origin: `http://evil.example:${server?.port}` }, { approved: true });
    expect([rebound.status, errorOf(rebound)]).toEqual([403, expect.stringContaining('addressed to "evil.example:')]);
    const page = await request('GET', '/', { host: `evil.example:${server?.port}` });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(token);
    expect(await decisions()).toEqual([]);
  });

  it('takes only JSON: a form or text/plain body (what a cross-site form can send) is refused', async () => {
    await serve(true);
    const headers = fromPage((await tokenInPage()) ?? '');
    const plain = await post({ ...headers, 'content-type': 'text/plain' }, { approved: true });
    expect([plain.status, errorOf(plain)]).toEqual([415, 'expected Content-Type: application/json, got text/plain']);
    const form = await post({ ...headers, 'content-type': 'application/x-www-form-urlencoded' }, 'approved=true');
    expect(form.status).toBe(415);
    expect(await decisions()).toEqual([]);
  });

  it('records the page\'s decision, says nothing drives the run, and refuses a second one (409)', async () => {
    await serve(true);
    const headers = fromPage((await tokenInPage()) ?? '');
    const approved = await post(headers, { approved: true, feedback: 'looks right', phaseId: 'greet', attempt: 1 });
    expect(approved.status).toBe(200);
    expect(JSON.parse(approved.body)).toEqual({
      runId: run.runId,
      phaseId: 'greet',
      phaseIndex: 0,
      attempt: 1,
      driven: false,
      decision: { phaseIndex: 0, attempt: 1, approved: true, feedback: 'looks right', by: 'tester', via: 'inspector', at: 1_700_000_000_000 },
    });
    expect(await decisions()).toMatchObject([{ approved: true, by: 'tester', via: 'inspector', feedback: 'looks right' }]);
    // Decided, not yet read by the run (nothing drives it): the view says so.
    expect(JSON.parse((await request('GET', approvalPath())).body)).toMatchObject({ waiting: { attempt: 1, decision: { approved: true, by: 'tester' } }, driven: false });

    const again = await post(headers, { approved: false, feedback: 'no' });
    expect([again.status, errorOf(again)]).toEqual([409, expect.stringContaining('approved already, by tester')]);
    expect(await decisions()).toHaveLength(1);
  });

  it('answers a bad body with 400 naming the field, a rejection without feedback with 400, a stale attempt with 409', async () => {
    await serve(true);
    const headers = fromPage((await tokenInPage()) ?? '');
    const cases: [unknown, string][] = [
      ['{"approved": tru', 'body: not JSON'],
      [[], 'body: Invalid input: expected object, received array'],
      [{ approved: 'yes' }, 'approved: expected true (approve) or false (reject)'],
      [{}, 'approved: expected true (approve) or false (reject)'],
      [{ approved: false, feedback: 3 }, 'feedback: expected text'],
      [{ approved: true, by: 'mallory' }, 'body: Unrecognized key: "by"'],
      [{ approved: true, attempt: 0 }, 'attempt: expected an attempt number from 1'],
      [{ approved: false }, 'a rejection needs feedback'],
      [{ approved: false, feedback: '   ' }, 'a rejection needs feedback'],
    ];
    for (const [body, message] of cases) {
      const answer = await post(headers, body);
      expect([answer.status, errorOf(answer)], JSON.stringify(body)).toEqual([400, expect.stringContaining(message)]);
    }
    const stale = await post(headers, { approved: true, phaseId: 'greet', attempt: 2 });
    expect([stale.status, errorOf(stale)]).toEqual([409, expect.stringContaining('phase greet of run run-') as unknown as string]);
    expect(errorOf(stale)).toContain('now waits with attempt 1, not attempt 2; look at what it proposes now (nothing was decided)');
    const unknown = await request('POST', '/api/runs/run-nope/approval', headers, '{"approved":true}');
    expect(unknown.status).toBe(404);
    expect(await decisions()).toEqual([]);
  });

  it('keeps every other endpoint GET-only, grants no CORS, and forbids framing its page', async () => {
    await serve(true);
    const headers = fromPage((await tokenInPage()) ?? '');
    expect((await request('POST', '/api/runs', headers, '{}')).status).toBe(405);
    expect((await request('PUT', approvalPath(), headers, '{"approved":true}')).status).toBe(405);
    const preflight = await request('OPTIONS', approvalPath(), {
      origin: 'http://127.0.0.1:1',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-autopack-token',
    });
    expect(preflight.status).toBe(405);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const page = await request('GET', `/runs/${run.runId}`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(await decisions()).toEqual([]);
  });

  it('lets the run go on once decided here: a rejection\'s feedback reaches the model, an approval applies', async () => {
    await serve(true);
    const headers = fromPage((await tokenInPage()) ?? '');
    expect((await post(headers, { approved: false, feedback: 'greet the world' })).status).toBe(200);
    const second = await run.executor.resume(run.runId, { waitForApproval: false });
    expect(second.status).toBe('awaiting_approval');
    expect(JSON.parse((await request('GET', approvalPath())).body)).toMatchObject({
      waiting: { attempt: 2, summary: 'greet hello, world', decision: null },
      decisions: [{ approved: false, feedback: 'greet the world', phaseId: 'greet', attempt: 1 }],
    });
    expect((await post(headers, { approved: true, attempt: 2 })).status).toBe(200);
    expect((await run.executor.resume(run.runId, { waitForApproval: false })).status).toBe('succeeded');
    expect(JSON.parse((await request('GET', approvalPath())).body)).toMatchObject({ status: 'succeeded', waiting: null });
  });

  it('says when a live process waits at the gate: it goes on by itself once the page approves', async () => {
    const repo = tempDir();
    writeTree(repo, { 'greet.txt': 'hello\n' });
    const llm = new ScriptedLLMClient([{ content: answer('greet hi', [{ path: 'greet.txt', mode: 'modify', new_content: 'hi\n' }]) }]);
    const executor = new PhaseExecutor({ llmClient: llm, repoRoot: repo });
    let runId = '';
    const running = executor.runPlan({
      phases: [spec('greet', ['greet.txt'])],
      maxRetries: 0,
      enableHealthChecks: true,
      stopOnFailure: true,
      requireApproval: true,
      onRunStarted: (id) => (runId = id),
    });
    try {
      await serve(true, executor.dbPath);
      const view = async () => (runId === '' ? null : (JSON.parse((await request('GET', `/api/runs/${runId}/approval`)).body) as { waiting: unknown; driven: boolean }));
      await expect.poll(async () => (await view())?.waiting ?? null, { timeout: 10_000 }).not.toBeNull();
      expect((await view())?.driven).toBe(true);
      const approved = await request('POST', `/api/runs/${runId}/approval`, fromPage((await tokenInPage()) ?? ''), '{"approved":true}');
      expect([approved.status, (JSON.parse(approved.body) as { driven: boolean }).driven]).toEqual([200, true]);
      expect((await running).status).toBe('succeeded');
      expect(readTree(repo)['greet.txt']).toBe('hi\n');
    } finally {
      await running.catch(() => undefined);
      await executor.close();
    }
  });
});
