/**
 * Fuzz: 1,000 random and malformed requests at a daemon serving a typed flow (JSON and
 * protobuf endpoints) and an untyped one. Well-formed-but-hostile requests go through
 * undici (random methods, paths with `%` escapes and `..`, huge and odd headers, random
 * bytes, deep JSON, numbers beyond 2^53, invalid UTF-8, wrong content types); malformed
 * HTTP goes over raw sockets. Every answer must be a well-formed HTTP response with a
 * status below 600, a 4xx/5xx body must be the JSON `{status, message}`, nothing may be
 * an internal error (500), and afterwards the daemon still answers correctly.
 *
 * The cases come from a seeded PRNG: a failure names the seed and the case, and
 * `FUZZ_SEED=<n> npx vitest run test/e2e/flow-fuzz.test.ts` replays it (`FUZZ_CASES=<n>`
 * runs more).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client } from 'undici';
import { describe, expect, it } from 'vitest';
import { cleanup, daemon, FLOW_FIXTURES, postJson, send, sendJson, upstream } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const CASES = Number(process.env.FUZZ_CASES ?? 1_000);
const WORKERS = 8;
const ANSWER_LIMIT_MS = 5_000;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  text(n: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*';
const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const LATIN1 = `${PRINTABLE}\u00a0\u00e9\u00ff\u00c3\u0080\u00fe`;
const BIG_NUMBERS = [
  '9007199254740993',
  '-9223372036854775809',
  '18446744073709551616',
  '1e400',
  '-0',
  '0.1e-999',
  '123456789012345678901234567890.5',
  '2e53',
  '1E+2',
  '-1',
];
const FIELDS = [
  'name',
  'age',
  'id',
  'tags',
  'active',
  'role',
  'friend',
  'n',
  'key',
  'rest',
  '__proto__',
  'constructor',
  'prototype',
  '',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/x-protobuf',
  'application/protobuf',
  'application/x-www-form-urlencoded',
  'application/xml',
  'text/xml',
  'application/problem+json',
  'application/atom+xml',
  'text/plain',
  'image/png',
  'multipart/form-data; boundary=x',
  'garbage/',
  ';;;',
  'application/json; charset=latin1',
];

interface Case {
  index: number;
  what: string;
  method: string;
  /** Through undici when set; else `raw` bytes over a socket. */
  client?: { path: string; headers: Record<string, string>; body: Buffer | undefined };
  raw?: Buffer;
  /** The request was cut short by the client: no answer is acceptable. */
  maySilence?: boolean;
}

/** A random JSON text; numbers may be written beyond what a double holds. */
function jsonText(r: Random, depth = 0): string {
  const kind = r.int(depth > 3 ? 5 : 7);
  switch (kind) {
    case 0:
      return JSON.stringify(r.text(r.int(20), LATIN1));
    case 1:
      return r.chance(0.5) ? r.pick(BIG_NUMBERS) : String(r.int(1000) - 500);
    case 2:
      return r.pick(['true', 'false', 'null']);
    case 3:
      return JSON.stringify(r.pick(['GUEST', 'ADMIN', 'KING', 'member', '']));
    case 4:
      return String(r.next() * 1e6);
    case 5:
      return `[${Array.from({ length: r.int(4) }, () => jsonText(r, depth + 1)).join(',')}]`;
    default:
      return `{${Array.from({ length: r.int(5) }, () => `${JSON.stringify(r.chance(0.8) ? r.pick(FIELDS) : r.text(5, TOKEN))}:${jsonText(r, depth + 1)}`).join(',')}}`;
  }
}

function body(r: Random): { body: Buffer | undefined; what: string } {
  switch (r.int(11)) {
    case 0:
      return { body: undefined, what: 'no body' };
    case 1:
      return { body: r.bytes(r.int(2000)), what: 'random bytes' };
    case 2:
    case 3: {
      const fields = Array.from({ length: 1 + r.int(6) }, () => `${JSON.stringify(r.pick(FIELDS))}:${jsonText(r, 1)}`);
      return { body: Buffer.from(`{${fields.join(',')}}`), what: 'random JSON object' };
    }
    case 4: {
      const depth = r.pick([100, 1_000, 10_000, 100_000]);
      switch (r.int(4)) {
        case 0:
          return {
            body: Buffer.from(`${'['.repeat(depth)}1${']'.repeat(depth)}`),
            what: `JSON array nested ${depth} deep`,
          };
        case 1:
          return {
            body: Buffer.from(`${'{"friend":'.repeat(depth)}{}${'}'.repeat(depth)}`),
            what: `JSON object nested ${depth} deep`,
          };
        case 2:
          return { body: Buffer.from(`${'friend.'.repeat(depth)}name=x`), what: `form key nested ${depth} deep` };
        default:
          return {
            body: Buffer.from(`<Person>${'<friend>'.repeat(depth)}<name>x</name>${'</friend>'.repeat(depth)}</Person>`),
            what: `XML nested ${depth} deep`,
          };
      }
    }
    case 5: {
      const text = `{"name":"Ann","age":34,"tags":["a"],"n":${r.pick(BIG_NUMBERS)}}`;
      return { body: Buffer.from(text.slice(0, r.int(text.length))), what: 'truncated JSON' };
    }
    case 6:
      return {
        body: Buffer.concat([
          Buffer.from('{"name":"'),
          r.pick([Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), r.bytes(4)]),
          Buffer.from('","n":3}'),
        ]),
        what: 'invalid UTF-8 in a JSON string',
      };
    case 7: {
      const keys = [
        'name',
        'age',
        'tags[]',
        'tags[3]',
        'friend.name',
        'friend.friend.age',
        'a[99999999]',
        '__proto__[x]',
        'constructor.prototype.x',
        '%zz',
        'n',
        'role',
        'x.',
      ];
      const pairs = Array.from(
        { length: 1 + r.int(6) },
        () => `${r.pick(keys)}=${encodeURIComponent(r.text(r.int(10), LATIN1))}${r.chance(0.2) ? '%' : ''}`,
      );
      return { body: Buffer.from(pairs.join('&')), what: 'form body' };
    }
    case 8:
      return {
        body: Buffer.from(
          r.pick([
            '<Person><name>Ann</name><age>34</age><tags>a</tags><tags>b</tags></Person>',
            '<Person><age>old</age></Person>',
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Person><name>&lol3;</name></Person>',
            '<Person><name>unclosed</Person>',
            '<a/><b/>',
            '<Person><friend><friend><name>x</name></friend></friend></Person>',
          ]),
        ),
        what: 'XML body',
      };
    case 9:
      return {
        body: Buffer.from(
          r.pick([
            [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            [0x0a, 0x7f, 0x41],
            [0x3a, 0x02, 0x3a, 0x00],
            [0x18, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02],
            [0x30, 0x07],
            [0xff],
          ]),
        ),
        what: 'crafted protobuf',
      };
    default:
      return {
        body: Buffer.from(
          r.pick([
            'null',
            '[]',
            '"text"',
            '42',
            'true',
            '{}',
            ' ',
            '{"age":1e400}',
            '{"id":9007199254740993}',
            '{"id":"9007199254740993"}',
            '{"age":2147483648}',
          ]),
        ),
        what: 'JSON that is not an object, or out of range',
      };
  }
}

function segment(r: Random): string {
  return r.pick([
    () => String(r.int(1e6)),
    () => r.text(1 + r.int(12), TOKEN),
    () => r.pick(['%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '%C3%A9', '%FF', '%u0041']),
    () => r.pick(['..', '.', '...', '..%2F..%2F']),
    () => r.text(1 + r.int(6), '\u00a0\u00e9\u00ff\u00c3'),
    () => r.text(r.pick([3000, 70_000]), 'a'),
    () => '',
  ])();
}

function path(r: Random): string {
  const base = r.pick([
    () => `/typed/${segment(r)}`,
    () => `/typed.proto/${segment(r)}`,
    () => `/untyped/${Array.from({ length: 1 + r.int(3) }, () => segment(r)).join('/')}`,
    () =>
      r.pick([
        '/',
        '/nope',
        '//typed//1',
        '/typed',
        '/TYPED/1',
        '/untyped',
        '/../../etc/passwd',
        '/untyped/../typed/1',
        '/healthz',
        '/readyz',
      ]),
  ])();
  if (!r.chance(0.4)) return base;
  const query = Array.from(
    { length: 1 + r.int(4) },
    () =>
      `${r.pick(['n', 'key', 'rest', 'name', 'tags', '%zz', r.text(3, TOKEN)])}=${r.pick([...BIG_NUMBERS, '%', '%41', r.text(5, TOKEN), ''])}`,
  );
  return `${base}?${query.join('&')}`;
}

function headers(r: Random, payload: Buffer | undefined): { headers: Record<string, string>; what: string } {
  const out: Record<string, string> = {};
  const notes: string[] = [];
  if (payload !== undefined || r.chance(0.3)) {
    const type = r.chance(0.9) ? r.pick(CONTENT_TYPES) : r.text(r.int(30), PRINTABLE);
    if (type.trim() !== '') out['content-type'] = type;
    notes.push(`content-type ${JSON.stringify(type)}`);
  }
  if (r.chance(0.5)) out['x-fuzz'] = r.text(r.int(40), r.chance(0.5) ? PRINTABLE : LATIN1).trim();
  if (r.chance(0.2)) out['x-request-id'] = r.text(r.pick([1, 20, 4000]), PRINTABLE).trim();
  if (r.chance(0.2)) out[`x-${r.text(1 + r.int(10), TOKEN).toLowerCase()}`] = r.text(r.int(100), PRINTABLE).trim();
  if (r.chance(0.05)) {
    out['x-huge'] = 'h'.repeat(20_000);
    notes.push('huge header');
  }
  if (r.chance(0.1)) out.accept = r.pick(['application/x-protobuf', '*/*', 'text/html', 'application/json']);
  return { headers: out, what: notes.join(', ') };
}

/** Malformed HTTP, written as bytes. */
function raw(r: Random): { raw: Buffer; what: string; maySilence?: boolean } {
  const target = r.pick(['/typed/1', '/untyped/x', '/typed.proto/2', '/nope']);
  const json = '{"name":"Ann","age":34}';
  const variants: Array<() => { raw: Buffer; what: string; maySilence?: boolean }> = [
    () => ({ raw: Buffer.concat([r.bytes(1 + r.int(200)), Buffer.from('\r\n\r\n')]), what: 'random bytes' }),
    () => ({
      raw: Buffer.from(
        `${r.pick(['FOO', 'BREW', 'get', 'G ET', 'PRI', 'SEARCH'])} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
      what: 'unknown method',
    }),
    () => ({
      raw: Buffer.from(
        `GET ${target} HTTP/${r.pick(['9.9', '1.2', '0.9', 'x', '1'])}\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
      what: 'bad version',
    }),
    () => ({ raw: Buffer.from(`GET ${target} HTTP/1.1\r\nConnection: close\r\n\r\n`), what: 'no Host header' }),
    () => ({
      raw: Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nBad Header: x\r\nConnection: close\r\n\r\n`),
      what: 'space in a header name',
    }),
    () => ({
      raw: Buffer.concat([
        Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nX-Fuzz: a`),
        Buffer.from([r.pick([0x00, 0x7f, 0x0b, 0x1b])]),
        Buffer.from('b\r\nConnection: close\r\n\r\n'),
      ]),
      what: 'control byte in a header value',
    }),
    () => ({
      raw: Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nX-Fuzz: a\r\n folded\r\nConnection: close\r\n\r\n`),
      what: 'folded header',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${json.length}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${json}`,
      ),
      what: 'content-length and chunked',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n${json}\r\n0\r\n\r\n`,
      ),
      what: 'bad chunk size',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\n1234567`,
      ),
      what: 'two content-lengths',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '1e3', '99999999999999999999'])}\r\nConnection: close\r\n\r\n{}`,
      ),
      what: 'bad content-length',
    }),
    () => ({
      raw: Buffer.concat([
        Buffer.from('GET /typed/'),
        r.pick([Buffer.from([0xff, 0xfe]), Buffer.from('é'), Buffer.from(' x'), Buffer.from('%'), Buffer.from([0x00])]),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ]),
      what: 'raw bytes in the path',
    }),
    () => ({
      raw: Buffer.concat([
        Buffer.from(`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Fuzz: `),
        Buffer.from([0xc3, 0xa9, 0xff, 0x80]),
        Buffer.from(`\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`),
      ]),
      what: 'latin1 bytes in a declared header',
    }),
    () => ({
      raw: Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      ),
      what: 'header section too large',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"name":`,
      ),
      what: 'body shorter than its length',
      maySilence: true,
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}GARBAGE / HTTP/1.1\r\n\r\n`,
      ),
      what: 'valid request, then garbage',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n${json}`,
      ),
      what: 'expect 100-continue',
    }),
    () => ({
      raw: Buffer.from(
        `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`,
      ),
      what: 'chunked body',
    }),
  ];
  return r.pick(variants)();
}

function generate(seed: number, count: number): Case[] {
  const r = new Random(seed);
  const cases: Case[] = [];
  for (let index = 0; index < count; index++) {
    if (r.chance(0.3)) {
      const made = raw(r);
      cases.push({
        index,
        method: made.raw.toString('latin1').split(' ', 1)[0] ?? '',
        what: `raw: ${made.what}`,
        raw: made.raw,
        maySilence: made.maySilence,
      });
      continue;
    }
    const method = r.chance(0.9)
      ? r.pick(['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'])
      : r.pick(['FOO', 'PROPFIND', 'M-SEARCH', 'PURGE', 'LINK']);
    const made = body(r);
    const head = headers(r, made.body);
    const target = path(r);
    cases.push({
      index,
      method,
      what: `${method} ${target.length > 80 ? `${target.slice(0, 80)}…(${target.length})` : target}, ${made.what}${head.what ? `, ${head.what}` : ''}`,
      client: { path: target, headers: head.headers, body: made.body },
    });
  }
  return cases;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits raw bytes into HTTP/1.1 responses; throws on anything that is not one. */
function parseResponses(data: Buffer, method: string): Response[] {
  const out: Response[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0)
      throw new Error(`incomplete response head: ${JSON.stringify(data.subarray(at, at + 200).toString('latin1'))}`);
    const [statusLine = '', ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine);
    if (!match) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(line.slice(0, colon)))
        throw new Error(`bad header line ${JSON.stringify(line)}`);
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(match[1]);
    at = end + 4;
    let body: Buffer = Buffer.alloc(0);
    if (status >= 200 && status !== 204 && status !== 304 && method !== 'HEAD') {
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const chunks: Buffer[] = [];
        for (;;) {
          const lineEnd = data.indexOf('\r\n', at);
          if (lineEnd < 0) throw new Error('truncated chunked body');
          const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
          if (!Number.isInteger(size) || size < 0) throw new Error('bad chunk size');
          at = lineEnd + 2;
          if (size === 0) {
            const trailerEnd = data.indexOf('\r\n', at);
            at = trailerEnd < 0 ? data.length : trailerEnd + 2;
            break;
          }
          chunks.push(data.subarray(at, at + size));
          at += size + 2;
        }
        body = Buffer.concat(chunks);
      } else if (headers['content-length'] !== undefined) {
        const length = Number(headers['content-length']);
        if (!Number.isInteger(length) || length < 0 || at + length > data.length)
          throw new Error(`body shorter than content-length ${headers['content-length']}`);
        body = data.subarray(at, at + length);
        at += length;
      } else {
        body = data.subarray(at);
        at = data.length;
      }
    }
    out.push({ status, headers, body });
  }
  return out;
}

/**
 * Writes `bytes` and collects everything until the server closes (every raw request asks
 * for `Connection: close`, or is one the server must refuse). A request cut short is
 * half-closed, as a client that gives up does; Node then drops the request unanswered.
 */
function exchange(address: string, bytes: Buffer, halfClose: boolean): Promise<Buffer> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of answer within ${ANSWER_LIMIT_MS} ms`));
    }, ANSWER_LIMIT_MS);
    socket.on('connect', () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the server answered a bad request
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** What is wrong with one answer, or undefined. */
function check(response: Response): string | undefined {
  if (response.status < 100 || response.status >= 600) return `status ${response.status}`;
  if (response.status === 500) return `internal error: ${response.body.toString('utf8').slice(0, 300)}`;
  if (response.status < 400 || response.body.length === 0) return undefined;
  const type = response.headers['content-type'] ?? '';
  if (!type.includes('json'))
    return `${response.status} with content-type ${JSON.stringify(type)}: ${response.body.toString('utf8').slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    return `${response.status} with a body that is not JSON: ${response.body.toString('utf8').slice(0, 200)}`;
  }
  const error = parsed as { status?: unknown; message?: unknown };
  if (error.status !== response.status || typeof error.message !== 'string')
    return `${response.status} with body ${JSON.stringify(parsed).slice(0, 200)}`;
  return undefined;
}

async function run(one: Case, address: string, client: Client): Promise<string | undefined> {
  if (one.raw) {
    const data = await exchange(address, one.raw, one.maySilence === true);
    if (data.length === 0) return one.maySilence ? undefined : 'no answer at all';
    const responses = parseResponses(data, one.method);
    for (const response of responses) {
      const problem = check(response);
      if (problem) return problem;
    }
    return undefined;
  }
  const { path, headers, body } = one.client!;
  let res;
  try {
    res = await client.request({
      path,
      method: one.method,
      headers,
      body,
      headersTimeout: ANSWER_LIMIT_MS,
      bodyTimeout: ANSWER_LIMIT_MS,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    // undici refused to send it (an invalid header or path, say): not the daemon's answer.
    if (code === 'UND_ERR_INVALID_ARG') return undefined;
    return `request failed: ${code ?? ''} ${(error as Error).message}`;
  }
  const payload = Buffer.from(await res.body.arrayBuffer());
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers))
    flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
  return check({ status: res.statusCode, headers: flat, body: payload });
}

describe('flows: fuzz', () => {
  it(`answers ${CASES} random and malformed requests well (seed ${SEED}) and keeps serving`, async () => {
    const echo = await upstream((_req, res, seen) => sendJson(res, 200, seen.body === '' ? '{}' : seen.body));
    const { base, daemon: running } = await daemon([join(FLOW_FIXTURES, 'fuzz.hcl')], { UPSTREAM_ECHO: echo.url });
    const address = running.addresses.http!;
    const client = new Client(base, { pipelining: 1 });
    cleanup(() => client.destroy());

    const cases = generate(SEED, CASES);
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const one = cases[next++]!;
        let problem: string | undefined;
        try {
          problem = await run(one, address, client);
        } catch (error) {
          problem = (error as Error).message;
        }
        if (problem) failures.push(`seed ${SEED} case ${one.index} (${one.what}): ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    expect(failures).toEqual([]);

    // Still serving, and serving correctly.
    const typed = await postJson(
      `${base}/typed/7`,
      `{"name":"Ann","age":34,"id":9007199254740993,"tags":["a"],"role":"ADMIN"}`,
      { 'x-fuzz': 'after' },
    );
    expect(typed.status).toBe(200);
    expect(typed.text).toContain('"id":9007199254740993');
    expect(JSON.parse(typed.text.replace('9007199254740993', '0'))).toEqual({
      name: 'Ann',
      age: 34,
      id: 0,
      tags: ['a'],
      role: 'ADMIN',
      active: false,
    }); // proto3 default written, as Semaphore did
    expect(echo.seen.at(-1)!.headers['x-fuzz']).toBe('after');
    const untyped = await postJson(`${base}/untyped/a/b`, { name: 'bo', n: 3, tags: [1, 2] });
    expect(untyped.status).toBe(200);
    // The path parameter joins the untyped input (Semaphore's behaviour).
    expect(untyped.json()).toEqual({
      echo: { name: 'bo', n: 3, tags: [1, 2], rest: '/a/b' },
      rest: '/a/b',
      text: 'bo 3 3.000000 [1,2] {"name":"bo","n":3,"tags":[1,2],"rest":"/a/b"}',
      shout: 'BO',
      size: 2,
      fallback: 'bo',
    });
    expect((await send(`${base}/healthz`)).status).toBe(200);
  });

  it('refuses bodies nested deeper than the encoders can write, in every codec, with a 400', async () => {
    const echo = await upstream((_req, res, seen) => sendJson(res, 200, seen.body === '' ? '{}' : seen.body));
    const { base } = await daemon([join(FLOW_FIXTURES, 'fuzz.hcl')], { UPSTREAM_ECHO: echo.url });
    const bodies: Array<[string, string]> = [600, 3_000, 20_000].flatMap((depth): Array<[string, string]> => [
      ['application/json', `${'['.repeat(depth)}1${']'.repeat(depth)}`],
      ['application/json', `{"a":${'{"friend":'.repeat(depth)}{}${'}'.repeat(depth)}}`],
      ['application/x-www-form-urlencoded', `${'friend.'.repeat(depth)}name=x`],
      ['application/xml', `<Person>${'<friend>'.repeat(depth)}<name>x</name>${'</friend>'.repeat(depth)}</Person>`],
    ]);
    for (const [type, text] of bodies) {
      for (const path of ['/untyped/deep', '/typed/1']) {
        const res = await send(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body: text });
        expect({ path, type, length: text.length, status: res.status }).toEqual({
          path,
          type,
          length: text.length,
          status: 400,
        });
        expect(res.json()).toMatchObject({ status: 400, message: expect.any(String) });
      }
    }
    expect(echo.seen).toHaveLength(0);
    // Nesting a real document would use is fine.
    const nested = `${'{"friend":'.repeat(50)}{"name":"x"}${'}'.repeat(50)}`;
    expect(
      (
        await send(`${base}/untyped/ok`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"a":${nested}}`,
        })
      ).status,
    ).toBe(200);
    expect(
      (await send(`${base}/typed/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nested }))
        .status,
    ).toBe(200);
  });
});
