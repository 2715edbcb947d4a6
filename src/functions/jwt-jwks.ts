/**
 * JSON Web Key Sets for `jwt()`, through jose: a JWKS file read and imported at load, or a
 * JWKS URL fetched at load (so `validate` sees a bad one) and fetched again when a token
 * names a key id the set does not hold — that is how rotation reaches a running daemon —
 * or when the cached set is older than its maximum age.
 *
 * jose's verification is asynchronous (WebCrypto) while template functions are
 * synchronous closures compiled once; so jose imports, validates and refreshes the keys,
 * and the signature is checked with node:crypto on the KeyObject jose produced.
 */
import { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, importJWK, type JWK, type RemoteJWKSet } from 'jose';

export interface KeyEntry {
  /** The JWK's `kid`, when it has one. */
  readonly kid: string | undefined;
  readonly key: KeyObject;
}

/** Where a key set's keys come from: fixed, or refreshed from a URL. */
export interface KeyRing {
  /** The keys now; never waits. */
  entries(): readonly KeyEntry[];
  /** Asks for a fresh copy in the background (rate-limited); the next call may see it. */
  refresh?(): void;
}

// What WebCrypto needs to import a JWK without an `alg`; node:crypto then verifies any
// algorithm of the key's family with it.
function importAlgorithm(jwk: JWK): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''];
  if (jwk.kty === 'OKP') return 'EdDSA';
  return undefined;
}

/** Imports the public signature keys of a JWKS document; throws naming what is wrong. */
export async function importJwks(document: unknown): Promise<KeyEntry[]> {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('a JWKS document is an object with a "keys" array');
  const out: KeyEntry[] = [];
  for (const [i, jwk] of (keys as JWK[]).entries()) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const alg = importAlgorithm(jwk);
    if (!alg || jwk.kty === 'oct')
      throw new Error(`key ${i} of the JWKS is not a public signature key (kty ${String(jwk.kty)})`);
    if (jwk.d !== undefined) throw new Error(`key ${i} of the JWKS is a private key; publish public keys only`);
    const imported = await importJWK({ ...jwk, ext: true }, alg);
    if (imported instanceof Uint8Array) throw new Error(`key ${i} of the JWKS is not a public key`);
    out.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key: KeyObject.from(imported) });
  }
  if (out.length === 0) throw new Error('the JWKS holds no signature key');
  return out;
}

export function staticRing(entries: readonly KeyEntry[]): KeyRing {
  return { entries: () => entries };
}

export interface RemoteOptions {
  /** Least time between two fetches (default 30 s): a flood of unknown kids fetches once. */
  cooldownMs?: number;
  /** Age after which the set is fetched again on use (default 10 min). */
  maxAgeMs?: number;
  /** Bound on one fetch (default 5 s). */
  timeoutMs?: number;
  /** Told about a failed background refresh (the old keys stay in use). */
  onError?: (error: unknown) => void;
}

/** A JWKS URL: fetched once by `load()` (awaited at start), then refreshed in the background. */
export class RemoteRing implements KeyRing {
  private current: readonly KeyEntry[] = [];
  private readonly remote: RemoteJWKSet;
  private last = 0;
  private pending: Promise<void> | undefined;

  constructor(
    url: URL,
    private readonly options: RemoteOptions = {},
  ) {
    this.remote = createRemoteJWKSet(url, {
      timeoutDuration: options.timeoutMs ?? 5000,
      cooldownDuration: 0,
      cacheMaxAge: Infinity,
    });
  }

  async load(): Promise<void> {
    this.last = Date.now();
    await this.remote.reload();
    this.current = await importJwks(this.remote.jwks());
  }

  entries(): readonly KeyEntry[] {
    if (Date.now() - this.last > (this.options.maxAgeMs ?? 600_000)) this.refresh();
    return this.current;
  }

  refresh(): void {
    if (this.pending || Date.now() - this.last < (this.options.cooldownMs ?? 30_000)) return;
    this.pending = this.load()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => (this.pending = undefined));
  }

  /** Resolves when a refresh in flight is done (tests, shutdown). */
  settled(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }
}
