/**
 * Template functions: `{{ sprintf('%s', input:name) }}`. A function is looked up once,
 * at compile time; the executor calls `invoke` with evaluated arguments.
 */
import type { KeyObject } from 'node:crypto';
import { MaestroError } from '../errors.js';
import type { KeyRing } from './jwt-jwks.js';

/** The static type a function returns, for compile-time checks. */
export type ResultKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'dynamic';

export interface TemplateFunction {
  readonly name: string;
  readonly minArgs: number;
  /** `Infinity` for variadic functions. */
  readonly maxArgs: number;
  readonly returns: ResultKind;
  /** Runs the function on evaluated arguments. Throws FunctionError on bad input. */
  invoke(args: unknown[]): unknown;
  /**
   * Optional, called once at compile time with the literal arguments of one call
   * (`{ value }` for a literal, undefined for a computed argument). May return a faster
   * `invoke` for that call, still given every argument (sprintf parses a literal format
   * here once). Returning undefined keeps `invoke`.
   */
  specialize?(
    constants: ReadonlyArray<{ readonly value: unknown } | undefined>,
  ): ((args: unknown[]) => unknown) | undefined;
}

/** Settings functions may need, from the configuration. */
export interface FunctionContext {
  /** Named JWT key sets (`jwt { … }` blocks; "" is the default), secrets already read. */
  jwt: Map<string, JwtKeySet>;
  /** Environment for functions that read it (jwt falls back to MAESTRO_JWT_* variables). */
  env: NodeJS.ProcessEnv;
}

export interface JwtKeySet {
  /** HMAC secret. */
  secret?: string;
  /** PEM public key (RSA or EC) for RS*, PS*, ES*. */
  publicKey?: string;
  /** Keys of a JWKS (file or URL), chosen by the token's `kid`. */
  ring?: KeyRing;
  /** Set when the keys were loaded and checked at start (see jwt-load.ts). */
  prepared?: PreparedKeySet;
  /** Accepted algorithms; default: every algorithm the configured keys can verify. */
  algorithms?: string[];
  issuer?: string;
  audience?: string;
}

/** A key set ready for verification. */
export interface PreparedKeySet {
  secret?: Buffer;
  publicKey?: KeyObject;
  /** JWKS keys, selected per token by `kid`. */
  ring?: KeyRing;
  /** What tokens may use: configured algorithms that these keys can actually verify. */
  algorithms: ReadonlySet<string>;
  issuer?: string;
  audience?: string;
}

/** A function refused its input (e.g. an invalid token); status is what the client sees. */
export class FunctionError extends MaestroError {
  constructor(
    message: string,
    readonly status = 400,
    options?: ErrorOptions,
  ) {
    super('MAESTRO_ERR_FUNCTION', message, options);
  }
}
