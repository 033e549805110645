import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../src/index.js';
import { readDecisions } from '../../src/store/decisions.js';
import { finishedExampleRun } from '../support/finishedRun.js';
import { projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';
import { runAwaitingApproval } from '../support/gatedRun.js';

const tempDir = useTempDirs();
const example = path.join(projectRoot, 'examples', 'greeter');

describe('inspect, graph and run --inspect (child processes)', () => {
  it('streams the run\'s XState inspection events to a WebSocket in @statelyai/inspect\'s protocol', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const messages: { type: string; name?: string; sessionId?: string; snapshot?: { value?: unknown } }[] = [];
    wss.on('connection', (socket) => socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number])));
    await new Promise((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as AddressInfo;
    try {
      const repo = path.join(tempDir(), 'repo');
      fs.cpSync(path.join(example, 'repo'), repo, { recursive: true });
      const run = await runCli([
        'run', path.join(example, 'plan.yaml'), '--repo', repo, '--llm', `replay:${path.join(example, 'recording.jsonl')}`, '--inspect', `ws://127.0.0.1:${port}`,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const actors = messages.filter((m) => m.type === '@xstate.actor').map((m) => m.name);
      expect(actors).toEqual(expect.arrayContaining(['orchestrator', 'phase']));
      const snapshots = messages.filter((m) => m.type === '@xstate.snapshot');
      expect(snapshots.map((m) => m.snapshot?.value)).toEqual(expect.arrayContaining(['retrying', 'done', 'completed']));
      expect(messages.every((m) => typeof m.sessionId === 'string')).toBe(true);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  it('serves the inspector, refusing an unknown run and a taken port', async () => {
    const { repo, runId } = await finishedExampleRun(tempDir());
    const unknown = await runCli(['inspect', 'run-nope', '--repo', repo]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run "run-nope" in/);

    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const busy = await runCli(['inspect', '--repo', repo, '--port', String(taken)]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`port ${taken} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }

    let served = '';
    const serving = runCli(['inspect', runId, '--repo', repo, '--port', '0'], {
      onStderr: (text, child) => {
        const url = /http:\/\/127\.0\.0\.1:\d+\/runs\/\S+/.exec(text)?.[0];
        if (url === undefined || served !== '') return;
        served = url;
        void fetch(url)
          .then((r) => r.text())
          .then((html) => {
            served = html;
            child.kill('SIGINT');
          });
      },
    });
    const result = await serving;
    expect(result.code).toBe(0);
    expect(served).toContain('<title>autopack inspector</title>');
  });

  it('inspect --allow-approve opens the log writable and lets its page decide; without it, the page cannot', async () => {
    const gated = await runAwaitingApproval(tempDir());
    await gated.executor.close();
    /** Serves the inspector, posts an approval the way its page does, and stops it. */
    const approveThrough = async (flags: string[]) => {
      let answer: { status: number; body: string } | null = null;
      const result = await runCli(['inspect', gated.runId, '--repo', gated.repo, '--port', '0', ...flags], {
        onStderr: (text, child) => {
          const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(text)?.[0];
          if (url === undefined || answer !== null || !text.includes('(Ctrl-C to stop)')) return;
          answer = { status: 0, body: '' };
          void (async () => {
            const token = /<meta name="autopack-token" content="([^"]+)">/.exec(await (await fetch(url)).text())?.[1] ?? '';
            const response = await fetch(`${url}api/runs/${gated.runId}/approval`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-autopack-token': token, origin: url.slice(0, -1) },
              body: '{"approved":true}',
            });
            answer = { status: response.status, body: await response.text() };
            child.kill('SIGINT');
          })();
        },
      });
      expect(result.code, result.stderr).toBe(0);
      return { answer: answer as { status: number; body: string } | null, stderr: result.stderr };
    };
    const readOnly = await approveThrough([]);
    expect(readOnly.stderr).toMatch(/read-only \(`.* inspect --allow-approve` lets its page approve or reject\)/);
    expect(readOnly.answer?.status).toBe(403);
    const allowed = await approveThrough(['--allow-approve']);
    expect(allowed.stderr).toMatch(/approvals: its page may approve or reject a phase waiting at its gate, as \S+@\S+/);
    expect(allowed.answer?.status, allowed.answer?.body).toBe(200);
    const store = createSqliteEventStore(gated.dbPath, { readonly: true });
    try {
      expect((await readDecisions(store, gated.runId)).decisions).toMatchObject([{ approved: true, via: 'inspector' }]);
    } finally {
      await store.close();
    }
  });

  it('prints the machine diagrams as Mermaid, DOT or SVG', async () => {
    const mermaid = await runCli(['graph']);
    expect(mermaid.stdout).toContain('%% orchestrator\nstateDiagram-v2');
    expect(mermaid.stdout).toContain('prompting --> parsing : callLlm done [effectSucceeded]');
    const dot = await runCli(['graph', '--format', 'dot', '--machine', 'phase']);
    expect(dot.stdout).toContain('"prompting" -> "parsing" [label="callLlm done [effectSucceeded]"];');
    const svg = await runCli(['graph', '--format', 'svg', '--machine', 'orchestrator']);
    expect(svg.stdout).toMatch(/^<svg [^>]*data-machine="orchestrator"/);
    const bad = await runCli(['graph', '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format: expected mermaid, dot or svg');
  });
});
