/**
 * `jwt(token[, keySet])`: verifies a JSON Web Token with node:crypto and returns its
 * claims. Accepts "Bearer <token>" or the bare token. Every failure is a FunctionError
 * with status 401 whose message names the problem, never the token or the key.
 *
 *   header.payload.signature ──▶ alg allowed for these keys? (none: never)
 *                            ──▶ signature valid? ──▶ exp / nbf (±30 s) ──▶ iss / aud
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { FunctionError, type FunctionContext, type TemplateFunction } from './function.js';
import type { KeyRing } from './jwt-jwks.js';
import { ALGORITHMS, canVerify, findKeySet, prepareKeySet, type Algorithm, type PreparedKeySet } from './jwt-keys.js';

/** Tolerated clock difference between the issuer and us, in seconds. */
const CLOCK_SKEW = 30;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BEARER = /^bearer(\s+|$)/i;

const refuse = (message: string): FunctionError => new FunctionError(message, 401);

export function createJwtFunction(context: FunctionContext): TemplateFunction {
  // One lazily prepared key set per name; compile resolves a literal name once (specialize).
  const holders = new Map<string, () => PreparedKeySet>();
  const holder = (name: string): (() => PreparedKeySet) => {
    let get = holders.get(name);
    if (!get) {
      get = lazyKeySet(context, name);
      holders.set(name, get);
    }
    return get;
  };
  return {
    name: 'jwt',
    minArgs: 1,
    maxArgs: 2,
    returns: 'object',
    invoke: (args) => verifyJwt(args[0], holder(keySetName(args[1]))()),
    specialize(constants) {
      if (constants.length > 1 && constants[1] === undefined) return undefined;
      const keys = holder(keySetName(constants[1]?.value));
      return (args) => verifyJwt(args[0], keys());
    },
  };
}

function keySetName(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function lazyKeySet(context: FunctionContext, name: string): () => PreparedKeySet {
  let prepared: PreparedKeySet | undefined;
  return () => {
    if (prepared) return prepared;
    const set = findKeySet(context, name);
    if (!set) {
      throw refuse(
        name === '' ? 'invalid token: no JWT key is configured' : `invalid token: unknown JWT key set "${name}"`,
      );
    }
    prepared = set.prepared ?? prepareKeySet(set, name);
    return prepared;
  };
}

/** Verifies `input` against `keys`; `now` in seconds, for tests. Returns the claims. */
export function verifyJwt(input: unknown, keys: PreparedKeySet, now = Date.now() / 1000): Record<string, unknown> {
  const token = typeof input === 'string' ? input.trim().replace(BEARER, '') : '';
  if (token === '') throw refuse('missing token');
  const parts = token.split('.');
  if (parts.length !== 3) throw refuse('invalid token: malformed');
  const [head, body, signature] = parts as [string, string, string];
  const header = decodeSegment(head);
  const claims = decodeSegment(body);

  const alg = header.alg;
  if (typeof alg !== 'string') throw refuse('invalid token: missing algorithm');
  if (alg.toLowerCase() === 'none') throw refuse('algorithm none is refused');
  const spec = ALGORITHMS.get(alg);
  if (!spec || !keys.algorithms.has(alg)) {
    // The name comes from the token: show it only when it is a plausible algorithm name.
    throw refuse(
      /^[A-Za-z0-9]{1,10}$/.test(alg)
        ? `invalid token: algorithm ${alg} is not allowed`
        : 'invalid token: algorithm is not allowed',
    );
  }
  if (header.crit !== undefined) throw refuse('invalid token: unsupported critical header');
  if (!BASE64URL.test(signature) || signature.length % 4 === 1) throw refuse('invalid token: malformed');
  const data = Buffer.from(`${head}.${body}`, 'ascii');
  const bytes = Buffer.from(signature, 'base64url');
  const candidates = spec.family === 'HS' || !keys.ring ? [keys.publicKey] : ringKeys(spec, keys.ring, header.kid);
  if (!candidates.some((key) => verifySignature(spec, keys, key, data, bytes)))
    throw refuse('invalid token: signature mismatch');

  const exp = numericClaim(claims, 'exp');
  if (exp !== undefined && now > exp + CLOCK_SKEW) throw refuse('token expired');
  const nbf = numericClaim(claims, 'nbf');
  if (nbf !== undefined && now + CLOCK_SKEW < nbf) throw refuse('token not yet valid');
  if (keys.issuer !== undefined && claims.iss !== keys.issuer) throw refuse('invalid token: issuer mismatch');
  if (keys.audience !== undefined && !hasAudience(claims.aud, keys.audience))
    throw refuse('invalid token: audience mismatch');
  return claims;
}

/**
 * The JWKS keys a token may be checked with: the one its `kid` names, else every key of
 * the right type. An unknown `kid` asks the set to refresh (a rotation) and is refused.
 */
function ringKeys(spec: Algorithm, ring: KeyRing, kid: unknown): KeyObject[] {
  const entries = ring.entries();
  if (typeof kid === 'string') {
    const entry = entries.find((e) => e.kid === kid);
    if (!entry) {
      ring.refresh?.();
      throw refuse('invalid token: unknown key id');
    }
    if (!canVerify(spec, undefined, entry.key)) throw refuse('invalid token: the key id names a key of another type');
    return [entry.key];
  }
  return entries.filter((e) => canVerify(spec, undefined, e.key)).map((e) => e.key);
}

function verifySignature(
  spec: Algorithm,
  keys: PreparedKeySet,
  key: KeyObject | undefined,
  data: Buffer,
  signature: Buffer,
): boolean {
  if (spec.family === 'HS') {
    const expected = createHmac(spec.hash!, keys.secret!).update(data).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  if (!key) return false;
  if (spec.family === 'ES' && signature.length !== spec.signatureLength) return false;
  try {
    return verify(spec.hash, data, keyInput(spec, key), signature);
  } catch {
    return false; // a signature OpenSSL cannot even read is simply not valid
  }
}

function keyInput(spec: Algorithm, key: KeyObject): KeyObject | VerifyKeyObjectInput {
  if (spec.family === 'PS')
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  // JWT carries ECDSA signatures as raw r||s, not DER.
  if (spec.family === 'ES') return { key, dsaEncoding: 'ieee-p1363' };
  return key;
}

function decodeSegment(segment: string): Record<string, unknown> {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) throw refuse('invalid token: malformed');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw refuse('invalid token: malformed');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse('invalid token: malformed');
  return value as Record<string, unknown>;
}

function numericClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(`invalid token: malformed ${name} claim`);
  return value;
}

function hasAudience(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}
