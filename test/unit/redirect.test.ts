/**
 * The redirect rules of upstream calls (Go's http.Client, as Semaphore used it): which
 * method and body the next hop sends, which headers survive a change of origin, the limit.
 */
import { describe, expect, it } from 'vitest';
import { CallError } from '../../src/errors.js';
import { MAX_REDIRECTS, nextHop, type Hop } from '../../src/transport/http/redirect.js';

const post: Hop = {
  origin: 'http://a.test',
  path: '/orders?x=1',
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer t', cookie: 'c=1', 'x-request-id': 'r1' },
  body: '{"a":1}',
};

describe('nextHop', () => {
  it('turns POST into a bodiless GET on 301, 302 and 303', () => {
    for (const status of [301, 302, 303]) {
      const hop = nextHop(post, status, '/done', 0, 'S.M')!;
      expect(hop).toMatchObject({ origin: 'http://a.test', path: '/done', method: 'GET', body: undefined });
      expect(hop.headers['content-type']).toBeUndefined();
      expect(hop.headers.authorization).toBe('Bearer t');
    }
  });

  it('keeps method and body on 307 and 308', () => {
    for (const status of [307, 308]) {
      expect(nextHop(post, status, 'other?y=2', 0, 'S.M')).toMatchObject({
        path: '/other?y=2',
        method: 'POST',
        body: '{"a":1}',
      });
    }
  });

  it('drops credentials when the origin changes, and keeps the rest', () => {
    const hop = nextHop(post, 307, 'https://b.test:8443/x', 0, 'S.M')!;
    expect(hop.origin).toBe('https://b.test:8443');
    expect(hop.headers.authorization).toBeUndefined();
    expect(hop.headers.cookie).toBeUndefined();
    expect(hop.headers['x-request-id']).toBe('r1');
  });

  it('is not a hop without a Location or for other statuses', () => {
    expect(nextHop(post, 302, undefined, 0, 'S.M')).toBeUndefined();
    expect(nextHop(post, 304, '/x', 0, 'S.M')).toBeUndefined();
    expect(nextHop(post, 200, '/x', 0, 'S.M')).toBeUndefined();
  });

  it('fails with 502 beyond the limit and for locations that are not http(s)', () => {
    expect(() => nextHop(post, 302, '/x', MAX_REDIRECTS, 'S.M')).toThrow(CallError);
    expect(() => nextHop(post, 302, 'ftp://x.test/f', 0, 'S.M')).toThrow(/not http/);
    const thrown = (() => {
      try {
        nextHop(post, 302, 'file:///etc/passwd', 0, 'S.M');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(CallError);
    expect((thrown as CallError).status).toBe(502);
  });
});
