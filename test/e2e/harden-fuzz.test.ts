/**
 * Property-based fuzz of every decoder through the real listener (issue #8), with
 * fast-check: for each codec — JSON, form, XML, protobuf and the query string — at least
 * 1,000 bodies, well-formed values mixed with random bytes and adversarial shapes (deep
 * nesting, thousands of keys, huge form indexes, long numbers, entity declarations,
 * truncations). For every one the daemon answers; the status is 2xx or 4xx; an error
 * body is `{status, message}`; and what a 2xx echoes back — the decoded input — is never
 * more than 8 times the input plus a constant: the bound the decoder limits promise.
 *
 * A failure prints fast-check's seed and the shrunk case; `FUZZ_SEED=<n>` replays it and
 * `FUZZ_RUNS=<n>` runs more cases.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { Pool } from 'undici';
import { describe, it } from 'vitest';
import { cleanup, configDir, daemon, FLOW_FIXTURES, shared } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RATIO = 8;
/**
 * Per codec: about 2–5 s alone here, but CI runs it beside the other test files on two
 * cores; the bound scales with FUZZ_RUNS so that more cases never time out either.
 */
const CASE_TIMEOUT = { timeout: Math.max(120_000, RUNS * 120) };
const SLACK = 256;
const PROTO = join(FLOW_FIXTURES, 'proto', 'people.proto');

const CONFIG = `
protobuffers = ["${PROTO}"]

endpoint "echo" "http" {
  endpoint = "/echo"
  method   = "*"
}

flow "echo" {
  input {}
  output {
    got = "{{ input:. }}"
  }
}

endpoint "person" "http" {
  endpoint = "/person"
  method   = "POST"
  codec    = "proto"
}

flow "person" {
  input "e2e.people.Person" {}
  output "e2e.people.Person" {
    name   = "{{ input:name }}"
    age    = "{{ input:age }}"
    id     = "{{ input:id }}"
    tags   = "{{ input:tags }}"
    active = "{{ input:active }}"
    role   = "{{ input:role }}"
    friend = "{{ input:friend }}"
  }
}
`;

interface Target {
  pool: Pool;
  Person: protobuf.Type;
}

const target = shared(async (): Promise<Target> => {
  const dir = configDir({ 'fuzz.hcl': CONFIG });
  const { base } = await daemon([join(dir, 'fuzz.hcl')], {});
  const pool = new Pool(base, { connections: 4, pipelining: 1 });
  cleanup(() => pool.close());
  const root = await protobuf.load(PROTO);
  return { pool, Person: root.lookupType('e2e.people.Person') };
});

/** Sends one case and checks what every answer must satisfy. */
async function check(
  method: string,
  path: string,
  contentType: string | undefined,
  body: Uint8Array | string | undefined,
): Promise<void> {
  const { pool } = target();
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const res = await pool.request({ method, path, headers, body });
  const raw = Buffer.from(await res.body.arrayBuffer());
  const size = (typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0)) + Buffer.byteLength(path);
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  if (!ok && (res.statusCode < 400 || res.statusCode >= 500))
    throw new Error(`status ${res.statusCode}: ${raw.toString('utf8').slice(0, 300)}`);
  if (!ok) {
    const error = JSON.parse(raw.toString('utf8')) as { status: unknown; message: unknown };
    if (error.status !== res.statusCode || typeof error.message !== 'string')
      throw new Error(`error body ${raw.toString('utf8').slice(0, 300)}`);
  }
  if (raw.length > RATIO * size + SLACK) throw new Error(`answer of ${raw.length} bytes for ${size} bytes of input`);
}

async function run(property: fc.IAsyncPropertyWithHooks<[unknown]> | fc.IAsyncProperty<[unknown]>): Promise<void> {
  await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });
}

/** A string with a character dropped, doubled or replaced: near-miss syntax. */
const mutated = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(text, fc.nat(), fc.constantFrom('', '"', '<', '{', '[', '&', '=', '%', '\u0000', '\\', '>'))
    .map(([t, at, c]) => {
      if (t.length === 0) return c;
      const i = at % t.length;
      return t.slice(0, i) + c + t.slice(i + 1);
    });

const deep = (open: string, close: string, inner = '1'): fc.Arbitrary<string> =>
  fc.integer({ min: 1, max: 2_000 }).map((d) => `${open.repeat(d)}${inner}${close.repeat(d)}`);

const formKey = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'a.b',
    'a[]',
    'a[0]',
    'a[0].b',
    'a[1000]',
    'a[1001]',
    'a[99999999999999999999]',
    'a.[0]',
    '%zz',
    '[',
    ']',
    '.',
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,3}$/), fc.nat({ max: 2_000 }), fc.stringMatching(/^[a-z]{0,3}$/))
    .map(([k, i, rest]) => `${k}[${i}]${rest ? `.${rest}` : ''}`),
);

const manyPairs = fc
  .tuple(fc.integer({ min: 1, max: 3_000 }), fc.nat({ max: 20_000 }))
  .map(([n, index]) => Array.from({ length: n }, (_, i) => `k${i}[${index}]=1`).join('&'));

describe('fuzz: every codec through the real listener', () => {
  it(`JSON: ${RUNS} cases`, CASE_TIMEOUT, async () => {
    const bodies = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify({ v })),
      fc.json(),
      mutated(fc.json()),
      fc.string({ unit: 'binary', maxLength: 200 }),
      deep('[', ']').map((d) => `{"a":${d}}`),
      deep('{"a":', '}'),
      fc
        .integer({ min: 1, max: 2_000 })
        .map((n) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
      fc.bigInt().map((n) => `{"n": ${n}, "f": ${n}.5e3}`),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await run(fc.asyncProperty(bodies, (body) => check('POST', '/echo', 'application/json', body)));
  });

  it(`form: ${RUNS} cases`, CASE_TIMEOUT, async () => {
    const bodies = fc.oneof(
      fc
        .array(fc.tuple(formKey, fc.string({ maxLength: 10 })), { maxLength: 30 })
        .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
      fc
        .array(fc.tuple(formKey, fc.string({ maxLength: 10 })), { maxLength: 30 })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
      manyPairs,
      deep('a.', '', 'b=1'),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await run(fc.asyncProperty(bodies, (body) => check('POST', '/echo', 'application/x-www-form-urlencoded', body)));
  });

  it(`XML: ${RUNS} cases`, CASE_TIMEOUT, async () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
    const { tree } = fc.letrec<{ tree: string; node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.tuple(name, fc.string({ maxLength: 10 })).map(([n, t]) => `<${n}>${t.replace(/[<&]/g, '')}</${n}>`),
        fc.tuple(name, fc.array(tie('node'), { maxLength: 4 })).map(([n, kids]) => `<${n}>${kids.join('')}</${n}>`),
      ),
      tree: tie('node').map((inner) => `<root>${inner}</root>`),
    }));
    const bodies = fc.oneof(
      tree,
      mutated(tree),
      deep('<a>', '</a>').map((d) => `<r>${d}</r>`),
      fc.integer({ min: 1, max: 2_000 }).map((n) => `<r>${'<a>x</a>'.repeat(n)}</r>`),
      fc.integer({ min: 1, max: 12 }).map((n) => {
        const entities = Array.from({ length: n }, (_, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(10)}">`).join('');
        return `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e0 "lol">${entities}]><r><a>&e${n};</a></r>`;
      }),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await run(fc.asyncProperty(bodies, (body) => check('POST', '/echo', 'application/xml', body)));
  });

  it(`protobuf: ${RUNS} cases`, CASE_TIMEOUT, async () => {
    const { Person } = target();
    type P = { name?: string; age?: number; id?: string; tags?: string[]; active?: boolean; role?: number; friend?: P };
    const { person } = fc.letrec<{ person: P }>((tie) => ({
      person: fc.record(
        {
          name: fc.string({ maxLength: 20 }),
          age: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
          tags: fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
          active: fc.boolean(),
          role: fc.integer({ min: -1, max: 5 }),
          friend: fc.option(tie('person'), { depthSize: 'small', nil: undefined }),
        },
        { requiredKeys: [] },
      ),
    }));
    const encode = (p: P): Uint8Array => Person.encode(Person.fromObject(p)).finish();
    /**
     * `friend` nested `depth` times: each level is tag 7 (0x3a) and the length of what it
     * holds. The lengths are summed inside out, then written outside in.
     */
    const nested = fc.integer({ min: 1, max: 2_000 }).map((depth) => {
      const varint = (n: number): number[] => Array.from(protobuf.Writer.create().uint32(n).finish());
      const holds = new Array<number>(depth + 1).fill(0);
      for (let i = depth - 1; i >= 0; i--) holds[i] = 1 + varint(holds[i + 1]!).length + holds[i + 1]!;
      const out: number[] = [];
      for (let i = 1; i <= depth; i++) out.push(0x3a, ...varint(holds[i]!));
      return Uint8Array.from(out);
    });
    const bodies = fc.oneof(
      person.map(encode),
      fc.tuple(person.map(encode), fc.nat(), fc.nat({ max: 255 })).map(([b, at, v]) => {
        const copy = Uint8Array.from(b);
        if (copy.length > 0) copy[at % copy.length] = v;
        return copy;
      }),
      person.map(encode).map((b) => b.subarray(0, Math.floor(b.length / 2))),
      nested,
      fc.integer({ min: 1, max: 20_000 }).map((n) => new Uint8Array(Buffer.alloc(2 * n, Buffer.from([0x22, 0x00])))),
      fc.uint8Array({ maxLength: 300 }),
    );
    await run(fc.asyncProperty(bodies, (body) => check('POST', '/person', 'application/x-protobuf', body)));
  });

  it(`query string: ${RUNS} cases`, CASE_TIMEOUT, async () => {
    const queries = fc.oneof(
      fc
        .array(fc.tuple(formKey, fc.string({ maxLength: 10 })), { maxLength: 30 })
        .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
      fc.integer({ min: 1, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => `q${i % 50}=${i}`).join('&')),
      fc.string({ maxLength: 100 }).map((s) => encodeURI(s).replace(/#/g, '%23')),
    );
    await run(fc.asyncProperty(queries, (query) => check('GET', `/echo?${query}`, undefined, undefined)));
  });
});
