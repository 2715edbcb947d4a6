/**
 * jwt() with JSON Web Key Sets (imported by jose): keys chosen by the token's `kid` from
 * a JWKS file or URL; a URL's set is refreshed when a token names a key it does not hold
 * (rotation, against a real HTTP server); and every key is loaded and checked when the
 * configuration is, so a bad one is a positioned error from `validate`.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { createFunctions, FunctionError } from '../../src/functions/index.js';
import { RemoteRing } from '../../src/functions/jwt-jwks.js';
import { loadJwtKeySets } from '../../src/functions/jwt-load.js';
import { Diagnostics } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-jwks-'));
const servers: Server[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const next = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = { sub: 'ann', exp: Math.floor(Date.now() / 1000) + 600 };

function token(alg: 'RS256' | 'ES256', key: KeyObject, kid: string | undefined): string {
  const input = `${b64({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64(claims)}`;
  const signature =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key)
      : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function verifier(sets: Awaited<ReturnType<typeof loadJwtKeySets>>) {
  const fn = createFunctions({ jwt: sets, env: {} }).get('jwt')!;
  return (value: string, set = ''): unknown => fn.invoke([value, set]);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).status).toBe(401);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

const pos = { file: 'jwt.hcl', line: 1, column: 1 };
const attr = (value: string) => ({ value, pos });

describe('jwt with a JWKS', () => {
  it('picks the key a JWKS file names by kid, RSA and EC alike; an unknown kid is refused', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: [jwk(rsa.publicKey, 'r1'), jwk(ec.publicKey, 'e1')] }));
    const diagnostics = new Diagnostics();
    const sets = await loadJwtKeySets([{ name: '', attributes: { jwks_file: attr(file) }, pos }], {
      env: {},
      diagnostics,
    });
    expect(diagnostics.items).toEqual([]);
    const verify = verifier(sets);
    expect(verify(token('RS256', rsa.privateKey, 'r1'))).toEqual(claims);
    expect(verify(token('ES256', ec.privateKey, 'e1'))).toEqual(claims);
    // Without a kid, every key of the right type is tried.
    expect(verify(token('ES256', ec.privateKey, undefined))).toEqual(claims);
    expect(refusal(() => verify(token('RS256', rsa.privateKey, 'nope')))).toBe('invalid token: unknown key id');
    expect(refusal(() => verify(token('RS256', next.privateKey, 'r1')))).toBe('invalid token: signature mismatch');
    expect(refusal(() => verify(token('ES256', ec.privateKey, 'r1')))).toMatch(/another type/);
  });

  it('follows a rotation at the JWKS URL: an unknown kid refreshes the set, then verifies', async () => {
    let served = [jwk(rsa.publicKey, 'old')];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);

    // Loaded (and checked) with the configuration: one fetch.
    const diagnostics = new Diagnostics();
    const loaded = await loadJwtKeySets([{ name: 'idp', attributes: { jwks_url: attr(url.href) }, pos }], {
      env: {},
      diagnostics,
    });
    expect(diagnostics.items).toEqual([]);
    expect(fetches).toBe(1);
    expect(verifier(loaded)(token('RS256', rsa.privateKey, 'old'), 'idp')).toEqual(claims);

    // Rotation, with no cooldown so the test need not wait for one.
    const ring = new RemoteRing(url, { cooldownMs: 0 });
    await ring.load();
    const verify = verifier(new Map([['', { ring }]]));
    served = [jwk(next.publicKey, 'new')];
    expect(refusal(() => verify(token('RS256', next.privateKey, 'new')))).toBe('invalid token: unknown key id');
    await ring.settled();
    expect(verify(token('RS256', next.privateKey, 'new'))).toEqual(claims);
    expect(refusal(() => verify(token('RS256', rsa.privateKey, 'old')))).toBe('invalid token: unknown key id');
  });

  it('reports unusable keys when the configuration is loaded, with file:line', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}');
    writeFileSync(
      join(dir, 'flows.hcl'),
      [
        'jwt "pem" {',
        '  public_key = "-----BEGIN PUBLIC KEY-----\\nnot a key\\n-----END PUBLIC KEY-----"',
        '}',
        'jwt "file" {',
        `  jwks_file = "${bad}"`,
        '}',
        'jwt "url" {',
        '  jwks_url = "http://127.0.0.1:1/jwks.json"',
        '}',
        'jwt "none" {',
        '  algorithms = ["HS256"]',
        '}',
      ].join('\n'),
    );
    const { diagnostics } = await loadPlan({ config: [join(dir, 'flows.hcl')], env: {}, cwd: dir });
    const errors = diagnostics.errors.map((d) => formatDiagnostic(d).slice(dir.length + 1));
    expect(errors).toEqual([
      'flows.hcl:1: jwt: JWT key set "pem" is not a valid PEM public key',
      expect.stringMatching(/^flows\.hcl:5: jwks_file of jwt "file": key 0 of the JWKS is not a public signature key/),
      expect.stringMatching(/^flows\.hcl:8: jwks_url of jwt "url": cannot load the key set from 127\.0\.0\.1:1/),
      'flows.hcl:10: jwt "none": none of its algorithms can be verified with its keys',
    ]);
  });
});
