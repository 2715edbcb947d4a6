/**
 * The redaction paths of the daemon's logger: header maps logged at the top or one level
 * down lose the built-in credentials and the names of `log { redact }`, whatever case the
 * configuration wrote them in; other headers stay.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { redactPaths } from '../../src/daemon/logger.js';

function capture(extra: string[]): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ redact: { paths: redactPaths(extra), censor: '[redacted]' } }, sink), lines };
}

describe('log redaction', () => {
  it('censors credentials in every header map shape', () => {
    const { log, lines } = capture(['X-Api-Key']);
    const headers = {
      authorization: 'a-secret',
      cookie: 'c-secret',
      'set-cookie': 'sc-secret',
      'proxy-authorization': 'p-secret',
      'x-api-key': 'k-secret',
      accept: 'text/plain',
    };
    log.info({ headers }, 'top');
    log.info({ req: { headers } }, 'nested');
    log.info({ header: headers }, 'flow header');
    log.info({ call: { header: headers } }, 'call header');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toMatch(/-secret/);
      expect(line).toContain('"accept":"text/plain"');
      expect(line).toContain('"authorization":"[redacted]"');
      expect(line).toContain('"x-api-key":"[redacted]"');
    }
  });
});
