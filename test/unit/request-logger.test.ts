import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LazyRequestLogger } from '../../src/transport/http/request-logger.js';

function capture(level: string): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  const logger = pino({ level, redact: ['headers.authorization'], base: undefined, timestamp: false }, sink);
  return { logger, lines };
}

describe('LazyRequestLogger', () => {
  it('writes the lines a pino child would, bindings and redaction included', () => {
    const a = capture('info');
    const b = capture('info');
    const lazy = new LazyRequestLogger(a.logger, { requestId: 'r-1' }, {});
    const child = b.logger.child({ requestId: 'r-1' });
    for (const log of [lazy, child]) {
      log.info({ flow: 'f', headers: { authorization: 'secret' } }, 'request completed');
      log.warn('plain %s', 'text');
      log.debug('not written');
      log.child({ extra: 1 }).error('from a child');
    }
    expect(a.lines).toEqual(b.lines);
    expect(a.lines[0]).toMatchObject({ requestId: 'r-1', headers: { authorization: '[Redacted]' } });
    expect(a.lines).toHaveLength(3);
  });

  it('makes no child while nothing is written at an enabled level', () => {
    const { logger, lines } = capture('warn');
    let made = 0;
    const counting = Object.create(logger, {
      child: {
        value: (...args: Parameters<pino.Logger['child']>) => {
          made++;
          return logger.child(...args);
        },
      },
    }) as pino.Logger;
    const lazy = new LazyRequestLogger(counting, { requestId: 'r-2' }, {});
    lazy.info('below the level');
    lazy.debug({ a: 1 }, 'below too');
    expect(lazy.isLevelEnabled('info')).toBe(false);
    expect(made).toBe(0);
    lazy.error('written');
    lazy.warn('written too');
    expect(made).toBe(1);
    expect(lines.map((l) => [l.requestId, l.msg])).toEqual([
      ['r-2', 'written'],
      ['r-2', 'written too'],
    ]);
  });
});
