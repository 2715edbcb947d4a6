import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFunctions, FunctionError, type FunctionContext, type JwtKeySet } from '../../src/functions/index.js';

const SECRET = 'top-secret-for-tests';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** Signs a token the way an issuer would, with node:crypto only. */
function token(
  alg: string,
  claims: Record<string, unknown>,
  key?: KeyObject | string,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(claims)}`;
  const bits = alg.slice(2);
  let signature: Buffer;
  if (alg.startsWith('HS'))
    signature = createHmac(`sha${bits}`, key as string)
      .update(input)
      .digest();
  else if (alg.startsWith('RS')) signature = sign(`sha${bits}`, Buffer.from(input), key as KeyObject);
  else if (alg.startsWith('PS')) {
    signature = sign(`sha${bits}`, Buffer.from(input), {
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  } else if (alg.startsWith('ES'))
    signature = sign(`sha${bits}`, Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = Buffer.alloc(0);
  return `${input}.${signature.toString('base64url')}`;
}

function jwt(sets: Record<string, JwtKeySet>, env: NodeJS.ProcessEnv = {}) {
  const context: FunctionContext = { jwt: new Map(Object.entries(sets)), env };
  const fn = createFunctions(context).get('jwt')!;
  return (...args: unknown[]): unknown => fn.invoke(args);
}

function refusal(fn: () => unknown): FunctionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FunctionError) {
      expect(error.status).toBe(401);
      return error;
    }
    throw error;
  }
  throw new Error('expected the token to be refused');
}

const claims = { sub: 'user-1', name: 'Ann', exp: now() + 600 };

describe('jwt', () => {
  it('verifies HS256/384/512 with the secret, bare or as Bearer', () => {
    const verify = jwt({ '': { secret: SECRET } });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      expect(verify(token(alg, claims, SECRET))).toEqual(claims);
      expect(verify(`Bearer ${token(alg, claims, SECRET)}`)).toEqual(claims);
    }
  });

  it('verifies RS256 and PS256 with an RSA public key', () => {
    const verify = jwt({ '': { publicKey: pem(rsa.publicKey) } });
    expect(verify(token('RS256', claims, rsa.privateKey))).toEqual(claims);
    expect(verify(token('RS512', claims, rsa.privateKey))).toEqual(claims);
    expect(verify(token('PS256', claims, rsa.privateKey))).toEqual(claims);
    expect(refusal(() => verify(token('RS256', claims, otherRsa.privateKey))).message).toBe(
      'invalid token: signature mismatch',
    );
  });

  it('verifies ES256 with an EC public key (raw r||s signatures) and only its curve', () => {
    const verify = jwt({ '': { publicKey: pem(ec.publicKey) } });
    expect(verify(token('ES256', claims, ec.privateKey))).toEqual(claims);
    expect(refusal(() => verify(token('ES384', claims, ec384.privateKey))).message).toBe(
      'invalid token: algorithm ES384 is not allowed',
    );
    const der = token('ES256', claims, ec.privateKey).split('.');
    const derSignature = sign('sha256', Buffer.from(`${der[0]}.${der[1]}`), ec.privateKey).toString('base64url');
    expect(refusal(() => verify(`${der[0]}.${der[1]}.${derSignature}`)).message).toBe(
      'invalid token: signature mismatch',
    );
  });

  it('refuses a wrong signature, a tampered payload and a wrong secret', () => {
    const verify = jwt({ '': { secret: SECRET } });
    const good = token('HS256', claims, SECRET);
    const [h, , s] = good.split('.');
    expect(refusal(() => verify(`${h}.${b64({ ...claims, sub: 'admin' })}.${s}`)).message).toBe(
      'invalid token: signature mismatch',
    );
    expect(refusal(() => verify(token('HS256', claims, 'other'))).message).toBe('invalid token: signature mismatch');
  });

  it('refuses alg none and algorithms the keys do not allow (no RSA/HMAC confusion)', () => {
    const hmac = jwt({ '': { secret: SECRET } });
    expect(refusal(() => hmac(token('none', claims))).message).toBe('algorithm none is refused');
    expect(refusal(() => hmac(token('NONE', claims))).message).toBe('algorithm none is refused');
    expect(refusal(() => hmac(token('RS256', claims, rsa.privateKey))).message).toBe(
      'invalid token: algorithm RS256 is not allowed',
    );
    // An HS256 token "signed" with the RSA public key text must not pass against that key.
    const publicPem = pem(rsa.publicKey);
    const rsaOnly = jwt({ '': { publicKey: publicPem } });
    expect(refusal(() => rsaOnly(token('HS256', claims, publicPem))).message).toBe(
      'invalid token: algorithm HS256 is not allowed',
    );
    const restricted = jwt({ '': { secret: SECRET, algorithms: ['HS512'] } });
    expect(refusal(() => restricted(token('HS256', claims, SECRET))).message).toBe(
      'invalid token: algorithm HS256 is not allowed',
    );
    expect(restricted(token('HS512', claims, SECRET))).toEqual(claims);
  });

  it('checks exp and nbf with 30 s of skew', () => {
    const verify = jwt({ '': { secret: SECRET } });
    expect(refusal(() => verify(token('HS256', { exp: now() - 60 }, SECRET))).message).toBe('token expired');
    expect(verify(token('HS256', { exp: now() - 10 }, SECRET))).toEqual({ exp: now() - 10 });
    expect(refusal(() => verify(token('HS256', { nbf: now() + 120 }, SECRET))).message).toBe('token not yet valid');
    expect(verify(token('HS256', { nbf: now() + 10 }, SECRET))).toBeDefined();
    expect(refusal(() => verify(token('HS256', { exp: 'tomorrow' }, SECRET))).message).toBe(
      'invalid token: malformed exp claim',
    );
  });

  it('checks iss and aud when configured', () => {
    const verify = jwt({ '': { secret: SECRET, issuer: 'https://issuer', audience: 'maestro' } });
    expect(verify(token('HS256', { iss: 'https://issuer', aud: 'maestro' }, SECRET))).toBeDefined();
    expect(verify(token('HS256', { iss: 'https://issuer', aud: ['other', 'maestro'] }, SECRET))).toBeDefined();
    expect(refusal(() => verify(token('HS256', { iss: 'https://evil', aud: 'maestro' }, SECRET))).message).toBe(
      'invalid token: issuer mismatch',
    );
    expect(refusal(() => verify(token('HS256', { iss: 'https://issuer', aud: 'other' }, SECRET))).message).toBe(
      'invalid token: audience mismatch',
    );
    expect(refusal(() => verify(token('HS256', { iss: 'https://issuer' }, SECRET))).message).toBe(
      'invalid token: audience mismatch',
    );
  });

  it('refuses malformed and missing tokens without echoing them', () => {
    const verify = jwt({ '': { secret: SECRET } });
    expect(refusal(() => verify(undefined)).message).toBe('missing token');
    expect(refusal(() => verify('Bearer ')).message).toBe('missing token');
    expect(refusal(() => verify('abc.def')).message).toBe('invalid token: malformed');
    expect(refusal(() => verify('a!.b.c')).message).toBe('invalid token: malformed');
    expect(refusal(() => verify(`${b64([1])}.${b64({})}.x`)).message).toBe('invalid token: malformed');
    const secretToken = token('HS256', claims, 'wrong-secret');
    const error = refusal(() => verify(secretToken));
    expect(error.message).not.toContain(secretToken.split('.')[2]!);
    expect(error.message).not.toContain(SECRET);
    expect(refusal(() => verify(token('HS256', claims, SECRET, { crit: ['exp'] }))).message).toBe(
      'invalid token: unsupported critical header',
    );
  });

  it('selects named key sets', () => {
    const verify = jwt({ '': { secret: SECRET }, partners: { publicKey: pem(rsa.publicKey) } });
    expect(verify(token('RS256', claims, rsa.privateKey), 'partners')).toEqual(claims);
    expect(refusal(() => verify(token('RS256', claims, rsa.privateKey))).message).toBe(
      'invalid token: algorithm RS256 is not allowed',
    );
    expect(refusal(() => verify(token('HS256', claims, SECRET), 'nobody')).message).toBe(
      'invalid token: unknown JWT key set "nobody"',
    );
  });

  it('falls back to MAESTRO_JWT_* variables for the default key set', () => {
    expect(jwt({}, { MAESTRO_JWT_SECRET: SECRET })(token('HS256', claims, SECRET))).toEqual(claims);
    expect(jwt({}, { MAESTRO_JWT_PUBLIC_KEY: pem(ec.publicKey) })(token('ES256', claims, ec.privateKey))).toEqual(
      claims,
    );
    const dir = mkdtempSync(join(tmpdir(), 'maestro-jwt-'));
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem(rsa.publicKey));
    expect(jwt({}, { MAESTRO_JWT_PUBLIC_KEY_FILE: file })(token('RS256', claims, rsa.privateKey))).toEqual(claims);
    expect(refusal(() => jwt({}, {})(token('HS256', claims, SECRET))).message).toBe(
      'invalid token: no JWT key is configured',
    );
    const badKey = refusal(() =>
      jwt({}, { MAESTRO_JWT_PUBLIC_KEY: 'not a pem' })(token('RS256', claims, rsa.privateKey)),
    );
    expect(badKey.message).toBe('jwt: the default JWT key is not a valid PEM public key');
  });

  it('specializes on a literal key set name', () => {
    const fn = createFunctions({ jwt: new Map([['p', { secret: SECRET }]]), env: {} }).get('jwt')!;
    const invoke = fn.specialize!([undefined, { value: 'p' }])!;
    expect(invoke([token('HS256', claims, SECRET), 'p'])).toEqual(claims);
    expect(fn.specialize!([undefined, undefined])).toBeUndefined();
  });
});
