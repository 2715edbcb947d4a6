/**
 * JWT keys are loaded and checked when the configuration is, with positions: a `jwt`
 * block's PEM key (inline or `public_key_file`), its JWKS (`jwks_file`, or `jwks_url`
 * fetched once here), and the MAESTRO_JWT_* variables of the default set. A key that
 * cannot be used is a positioned error, found by `validate`, not by the first request.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Diagnostics } from '../errors.js';
import type { JwtKeySpec, Pos } from '../spec/types.js';
import { FunctionError, type JwtKeySet } from './function.js';
import type { RemoteRing } from './jwt-jwks.js';
import { findKeySet, prepareKeySet } from './jwt-keys.js';

const CODE = 'MAESTRO_ERR_JWT_KEY';

export interface JwtLoadOptions {
  env: NodeJS.ProcessEnv;
  diagnostics: Diagnostics;
  /** Told when a background JWKS refresh fails (the old keys stay in use). */
  logger?: Logger;
}

export async function loadJwtKeySets(
  blocks: readonly JwtKeySpec[],
  options: JwtLoadOptions,
): Promise<Map<string, JwtKeySet>> {
  const { diagnostics } = options;
  const sets = new Map<string, JwtKeySet>();
  for (const block of blocks) {
    const label = block.name === '' ? 'jwt' : `jwt "${block.name}"`;
    const a = block.attributes;
    const text = (name: string): string | undefined => {
      const v = a[name]?.value;
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const at = (name: string): Pos => a[name]?.pos ?? block.pos;
    let publicKey = text('public_key');
    const keyFile = text('public_key_file');
    if (!publicKey && keyFile) {
      try {
        publicKey = readFileSync(keyFile, 'utf8');
      } catch {
        diagnostics.error(CODE, at('public_key_file'), `cannot read public_key_file of ${label}`);
        continue;
      }
    }
    const algorithms = a.algorithms?.value;
    const set: JwtKeySet = {
      secret: text('secret'),
      publicKey,
      algorithms: Array.isArray(algorithms) ? algorithms.map(String) : undefined,
      issuer: text('issuer'),
      audience: text('audience'),
    };
    const jwksFile = text('jwks_file');
    const jwksUrl = text('jwks_url');
    try {
      if (jwksFile) {
        const { importJwks, staticRing } = await jwks();
        set.ring = staticRing(await importJwks(JSON.parse(readFileSync(jwksFile, 'utf8'))));
      }
    } catch (error) {
      diagnostics.error(CODE, at('jwks_file'), `jwks_file of ${label}: ${reason(error)}`);
      continue;
    }
    if (jwksUrl) {
      const ring = await remoteRing(jwksUrl, label, at('jwks_url'), options);
      if (!ring) continue;
      set.ring = ring;
    }
    prepare(set, block.name, label, block.pos, diagnostics);
    sets.set(block.name, set);
  }
  // The default set may come from the environment alone.
  if (!sets.has('')) {
    const context = { jwt: sets, env: options.env };
    let set: JwtKeySet | undefined;
    try {
      set = findKeySet(context, '');
    } catch (error) {
      diagnostics.error(CODE, ENV, reason(error));
    }
    if (set && prepare(set, '', 'the default JWT key (MAESTRO_JWT_*)', ENV, diagnostics)) sets.set('', set);
  }
  return sets;
}

/** jose is imported only for a JWKS (a file or a URL); PEM keys and secrets need node:crypto alone. */
const jwks = () => import('./jwt-jwks.js');

const ENV = { file: '<environment MAESTRO_JWT_*>', line: 0, column: 0 };

function prepare(set: JwtKeySet, name: string, label: string, pos: Pos, diagnostics: Diagnostics): boolean {
  try {
    set.prepared = prepareKeySet(set, name);
    if (set.prepared.algorithms.size === 0)
      diagnostics.error(CODE, pos, `${label}: none of its algorithms can be verified with its keys`);
    return true;
  } catch (error) {
    diagnostics.error(CODE, pos, error instanceof FunctionError ? error.message : `${label}: ${reason(error)}`);
    return false;
  }
}

async function remoteRing(
  url: string,
  label: string,
  pos: Pos,
  options: JwtLoadOptions,
): Promise<RemoteRing | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    options.diagnostics.error(CODE, pos, `jwks_url of ${label} is not an http(s) URL`);
    return undefined;
  }
  const { RemoteRing } = await jwks();
  const ring = new RemoteRing(parsed, {
    onError: (error) =>
      options.logger?.warn({ err: error }, `${label}: JWKS refresh failed; the previous keys stay in use`),
  });
  try {
    await ring.load();
    return ring;
  } catch (error) {
    // The URL may carry a token in its query: name the host only.
    options.diagnostics.error(
      CODE,
      pos,
      `jwks_url of ${label}: cannot load the key set from ${parsed.host} (${reason(error)})`,
    );
    return undefined;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
