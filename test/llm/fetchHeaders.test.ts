import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FetchHeaders } from '../../src/llm/openai/fetchHeaders.js';

// FetchHeaders stands in for node's Headers wherever the SDK runs in the CLI bundle: on any sequence of
// operations it must answer as node's own does.
type Op = { kind: 'append' | 'set'; name: string; value: string } | { kind: 'delete'; name: string };

const name = fc.constantFrom('Content-Type', 'content-type', 'X-Request-Id', 'set-cookie', 'Set-Cookie', 'retry-after', 'Authorization', 'a');
const value = fc.constantFrom('text/plain', ' padded\t', 'a, b', '', '1', 'x=1; Path=/', '\tv\r\n'.slice(0, 2));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('append' as const, 'set' as const), name, value }),
  fc.record({ kind: fc.constant('delete' as const), name }),
);

function apply(headers: Headers, ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.kind === 'delete') headers.delete(o.name);
    else headers[o.kind](o.name, o.value);
  }
}

function observe(headers: Headers) {
  const names = ['content-type', 'X-REQUEST-ID', 'set-cookie', 'retry-after', 'authorization', 'a', 'missing'];
  const forEach: [string, string][] = [];
  headers.forEach((v, k) => forEach.push([k, v]));
  return {
    entries: [...headers],
    keys: [...headers.keys()],
    values: [...headers.values()],
    forEach,
    got: names.map((n) => [headers.get(n), headers.has(n)]),
    setCookie: headers.getSetCookie(),
  };
}

describe('FetchHeaders', () => {
  it("answers as node's Headers after any sequence of append, set and delete", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const ours = new FetchHeaders();
        const nodes = new Headers();
        apply(ours, ops);
        apply(nodes, ops);
        expect(observe(ours)).toEqual(observe(nodes));
      }),
    );
  });

  it('is built from pairs, a record or another Headers as the standard one is', () => {
    const pairs: [string, string][] = [['B', '2'], ['a', '1'], ['b', '3']];
    expect([...new FetchHeaders(pairs)]).toEqual([...new Headers(pairs)]);
    expect([...new FetchHeaders({ Accept: 'application/json', 'X-N': '1' })]).toEqual([...new Headers({ Accept: 'application/json', 'X-N': '1' })]);
    expect([...new FetchHeaders(new Headers(pairs))]).toEqual([...new Headers(pairs)]);
  });

  it('refuses names and values that the standard refuses', () => {
    for (const bad of ['', 'a b', 'é', 'x:y']) {
      expect(() => new Headers().append(bad, 'v')).toThrow(TypeError);
      expect(() => new FetchHeaders().append(bad, 'v')).toThrow(TypeError);
    }
    for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
      expect(() => new Headers().set('x', bad)).toThrow(TypeError);
      expect(() => new FetchHeaders().set('x', bad)).toThrow(TypeError);
    }
  });
});
