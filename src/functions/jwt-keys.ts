/**
 * JWT key sets: where keys come from (configuration, else MAESTRO_JWT_* variables) and
 * which algorithms each key may verify. Prepared once per key set, on first use, so a
 * misconfigured key never stops a daemon whose flows do not call jwt().
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FunctionError, type FunctionContext, type JwtKeySet, type PreparedKeySet } from './function.js';

export interface Algorithm {
  family: 'HS' | 'RS' | 'PS' | 'ES' | 'EdDSA';
  /** Digest name for node:crypto; null for EdDSA, which hashes internally. */
  hash: string | null;
  /** ES*: the curve the key must be on and the raw r||s signature length. */
  curve?: string;
  signatureLength?: number;
}

export const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  ['HS256', { family: 'HS', hash: 'sha256' }],
  ['HS384', { family: 'HS', hash: 'sha384' }],
  ['HS512', { family: 'HS', hash: 'sha512' }],
  ['RS256', { family: 'RS', hash: 'sha256' }],
  ['RS384', { family: 'RS', hash: 'sha384' }],
  ['RS512', { family: 'RS', hash: 'sha512' }],
  ['PS256', { family: 'PS', hash: 'sha256' }],
  ['PS384', { family: 'PS', hash: 'sha384' }],
  ['PS512', { family: 'PS', hash: 'sha512' }],
  ['ES256', { family: 'ES', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 }],
  ['ES384', { family: 'ES', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 }],
  ['ES512', { family: 'ES', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 }],
  ['EdDSA', { family: 'EdDSA', hash: null }],
]);

export type { PreparedKeySet };

/** The named key set; for the default ('') falls back to the environment. */
export function findKeySet(context: FunctionContext, name: string): JwtKeySet | undefined {
  const configured = context.jwt.get(name);
  if (configured || name !== '') return configured;
  const env = context.env;
  const secret = env.MAESTRO_JWT_SECRET || undefined;
  let publicKey = env.MAESTRO_JWT_PUBLIC_KEY || undefined;
  const file = env.MAESTRO_JWT_PUBLIC_KEY_FILE;
  if (!publicKey && file) {
    try {
      publicKey = readFileSync(file, 'utf8');
    } catch (error) {
      throw new FunctionError(`jwt: cannot read MAESTRO_JWT_PUBLIC_KEY_FILE ${file}`, 401, { cause: error });
    }
  }
  if (!secret && !publicKey) return undefined;
  return {
    ...(secret ? { secret } : {}),
    ...(publicKey ? { publicKey } : {}),
    ...(env.MAESTRO_JWT_ISSUER ? { issuer: env.MAESTRO_JWT_ISSUER } : {}),
    ...(env.MAESTRO_JWT_AUDIENCE ? { audience: env.MAESTRO_JWT_AUDIENCE } : {}),
  };
}

export function prepareKeySet(set: JwtKeySet, name: string): PreparedKeySet {
  const label = name === '' ? 'the default JWT key' : `JWT key set "${name}"`;
  let publicKey: KeyObject | undefined;
  if (set.publicKey) {
    try {
      publicKey = createPublicKey(set.publicKey);
    } catch (error) {
      // The reason from OpenSSL names no key material; the key itself is never shown.
      throw new FunctionError(`jwt: ${label} is not a valid PEM public key`, 401, { cause: error });
    }
  }
  const secret = set.secret ? Buffer.from(set.secret, 'utf8') : undefined;
  const usable = new Set<string>();
  for (const [alg, spec] of ALGORITHMS) {
    // A JWKS may rotate to any key type: each signature is checked against its key's type.
    if (canVerify(spec, secret, publicKey) || (set.ring && spec.family !== 'HS')) usable.add(alg);
  }
  const algorithms = set.algorithms ? new Set(set.algorithms.filter((alg) => usable.has(alg))) : usable;
  return {
    ...(secret ? { secret } : {}),
    ...(publicKey ? { publicKey } : {}),
    ...(set.ring ? { ring: set.ring } : {}),
    algorithms,
    ...(set.issuer ? { issuer: set.issuer } : {}),
    ...(set.audience ? { audience: set.audience } : {}),
  };
}

/**
 * HMAC only with a secret and signatures only with a public key of the matching type:
 * an RSA public key is never used as an HMAC secret (the classic algorithm confusion).
 */
export function canVerify(spec: Algorithm, secret: Buffer | undefined, key: KeyObject | undefined): boolean {
  if (spec.family === 'HS') return secret !== undefined;
  if (!key) return false;
  const type = key.asymmetricKeyType;
  switch (spec.family) {
    case 'RS':
      return type === 'rsa';
    case 'PS':
      return type === 'rsa' || type === 'rsa-pss';
    case 'ES':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === spec.curve;
    case 'EdDSA':
      return type === 'ed25519' || type === 'ed448';
  }
}
