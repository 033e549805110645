import { describe, expect, it } from 'vitest';
import { ScriptedLLMClient, loadScript } from '../../src/llm/scriptedClient.js';
import type { LLMRequest } from '../../src/llm/types.js';

const request = (text = 'hello world!'): LLMRequest => ({ messages: [{ role: 'user', content: text }], maxOutputTokens: 100 });

describe('ScriptedLLMClient', () => {
  it('serves answers and errors in order and records every request', async () => {
    const client = new ScriptedLLMClient([
      { content: 'one', usage: { promptTokens: 5, completionTokens: 1 }, model: 'm' },
      { error: { message: 'rate limited', status: 429 } },
      { response: { summary: 's', files: [] }, finishReason: 'length' },
    ]);
    await expect(client.complete(request())).resolves.toEqual({ content: 'one', finishReason: 'stop', usage: { promptTokens: 5, completionTokens: 1 }, model: 'm' });
    await expect(client.complete(request())).rejects.toMatchObject({ message: 'rate limited', status: 429 });
    const third = await client.complete(request('abcdefgh'));
    expect(third).toMatchObject({ content: '{"summary":"s","files":[]}', finishReason: 'length', usage: { promptTokens: 2, completionTokens: 7 } });
    expect(client.requests).toHaveLength(3);
    await expect(client.complete(request())).rejects.toThrow('no answer left: it had 3 and this is request 4');
  });

  it('refuses an already aborted request', async () => {
    const controller = new AbortController();
    controller.abort();
    const client = new ScriptedLLMClient([{ content: 'x' }]);
    await expect(client.complete({ ...request(), signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(client.remaining).toBe(1);
  });
});

describe('loadScript', () => {
  it('accepts a list or {responses}', () => {
    expect(loadScript([{ content: 'a' }], 'f.json')).toEqual([{ content: 'a' }]);
    expect(loadScript({ responses: [{ error: { message: 'x' } }] }, 'f.json')).toEqual([{ error: { message: 'x' } }]);
  });
  it('names the file, the index and the field of a bad step', () => {
    expect(() => loadScript([{ content: 'a' }, { contnet: 'typo' }], 'answers.json')).toThrow(/answers\.json: .*\[1\]/);
    expect(() => loadScript({ responses: [{ content: 3 }] }, 'answers.json')).toThrow(/answers\.json: .*responses\[0\]/);
    expect(() => loadScript('nope', 'answers.json')).toThrow(/answers\.json: not a valid answer script/);
  });
});
