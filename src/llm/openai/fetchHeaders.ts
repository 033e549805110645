/**
 * The part of the Fetch standard's `Headers` that the `openai` SDK and nodeFetch use, in plain code.
 * Node's own `Headers` is a lazy global whose first use loads its whole fetch engine (undici, ~35 ms
 * here), which a CLI that sends one request over `node:http` (nodeFetch.ts) does not otherwise need. The
 * CLI bundle gives the SDK this class in place of the global (scripts/bundle-cli.mjs); nodeFetch's
 * responses carry one everywhere. Same behaviour as the standard for what it has: names are
 * case-insensitive and validated, values trimmed and checked, repeated values joined with ", ", iteration
 * sorted by name with each set-cookie apart.
 */

type HeadersSource = Iterable<readonly [string, string]> | Iterable<readonly string[]> | Record<string, string | readonly string[]>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

function checkedName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

function checkedValue(name: string, value: string): string {
  const normalized = String(value).replace(EDGE_WHITESPACE, '');
  if (FORBIDDEN_IN_VALUE.test(normalized)) throw new TypeError(`Headers: invalid value for header ${JSON.stringify(name)}`);
  return normalized;
}

export class FetchHeaders implements Headers {
  /** Lower-cased name to its values in the order they were added. */
  readonly #values = new Map<string, string[]>();

  constructor(init?: HeadersSource | null) {
    if (init === undefined || init === null) return;
    if (Symbol.iterator in init) {
      for (const pair of init as Iterable<readonly string[]>) {
        if (pair.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
        this.append(pair[0] as string, pair[1] as string);
      }
      return;
    }
    for (const [name, value] of Object.entries(init)) {
      if (typeof value === 'string') this.append(name, value);
      else for (const one of value) this.append(name, one);
    }
  }

  append(name: string, value: string): void {
    const key = checkedName(name);
    const checked = checkedValue(name, value);
    const values = this.#values.get(key);
    if (values === undefined) this.#values.set(key, [checked]);
    else values.push(checked);
  }

  set(name: string, value: string): void {
    this.#values.set(checkedName(name), [checkedValue(name, value)]);
  }

  delete(name: string): void {
    this.#values.delete(checkedName(name));
  }

  get(name: string): string | null {
    return this.#values.get(checkedName(name))?.join(', ') ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(checkedName(name));
  }

  getSetCookie(): string[] {
    return [...(this.#values.get('set-cookie') ?? [])];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [key, value] of this) callback.call(thisArg, value, key, this);
  }

  *entries(): Generator<[string, string], undefined, unknown> {
    const names = [...this.#values.keys()].sort();
    for (const name of names) {
      const values = this.#values.get(name);
      if (values === undefined) continue;
      if (name === 'set-cookie') for (const value of values) yield [name, value];
      else yield [name, values.join(', ')];
    }
    return undefined;
  }

  *keys(): Generator<string, undefined, unknown> {
    for (const [key] of this.entries()) yield key;
    return undefined;
  }

  *values(): Generator<string, undefined, unknown> {
    for (const [, value] of this.entries()) yield value;
    return undefined;
  }

  [Symbol.iterator](): Generator<[string, string], undefined, unknown> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}
