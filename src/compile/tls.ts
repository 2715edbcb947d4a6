/**
 * A listener's certificate and key (`http { }`, `grpc { }`): read and checked at compile (both set, both
 * readable, a pair TLS accepts), so `validate` finds what the daemon would otherwise hit
 * when it starts listening. The plan carries the PEM text; the listener only uses it.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Diagnostics } from '../errors.js';
import type { Pos, Positioned } from '../spec/types.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export function loadTls(
  cert: Positioned<string> | undefined,
  key: Positioned<string> | undefined,
  at: Pos,
  diagnostics: Diagnostics,
  block = 'http',
): TlsFiles | undefined {
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    diagnostics.error(
      'MAESTRO_ERR_TLS',
      (cert ?? key)?.pos ?? at,
      `${block}: cert_file and key_file must be set together`,
    );
    return undefined;
  }
  const read = (file: Positioned<string>, what: string): string | undefined => {
    try {
      return readFileSync(file.value, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      diagnostics.error('MAESTRO_ERR_TLS', file.pos, `cannot read ${what} ${file.value} (${reason})`);
      return undefined;
    }
  };
  const certText = read(cert, 'cert_file');
  const keyText = read(key, 'key_file');
  if (certText === undefined || keyText === undefined) return undefined;
  try {
    createSecureContext({ cert: certText, key: keyText });
  } catch (error) {
    diagnostics.error(
      'MAESTRO_ERR_TLS',
      cert.pos,
      `cert_file and key_file are not a usable pair: ${(error as Error).message}`,
    );
    return undefined;
  }
  return { cert: certText, key: keyText };
}
