/** Credentials an upstream may echo are masked before anything reaches the log (daemon/redact.ts). */
import { describe, expect, it } from 'vitest';
import { excerpt, redactText } from '../../src/daemon/redact.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('redactText', () => {
  it.each([
    ['Authorization: Bearer abcdef123456', 'Authorization: Bearer [REDACTED]'],
    ['authorization=s3cr3t-value', 'authorization=[REDACTED]'],
    ['got bearer abcdef123456 from you', 'got bearer [REDACTED] from you'],
    ['{"password": "hunter2", "user": "ann"}', '{"password": "[REDACTED]", "user": "ann"}'],
    ['{"db_password":"p\\"w","n":1}', '{"db_password":"[REDACTED]","n":1}'],
    ['{"access_token": 12345}', '{"access_token": "[REDACTED]"}'],
    ['Cookie: sid=abc; theme=dark\nnext', 'Cookie: [REDACTED]\nnext'],
    ['set-cookie: sid=abc', 'set-cookie: [REDACTED]'],
    ['api_key=k-123&user=ann', 'api_key=[REDACTED]&user=ann'],
    [
      '<Login><password>pw</password><user>a</user></Login>',
      '<Login><password>[REDACTED]</password><user>a</user></Login>',
    ],
    [`token ${JWT} here`, 'token [REDACTED] here'],
    ['X-Api-Key: secret-value', 'X-Api-Key: [REDACTED]'],
  ])('masks %s', (text, masked) => {
    expect(redactText(text)).toBe(masked);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'upstream h.Shop.Hang timed out after 1000ms',
      '/etc/maestro/token.hcl:12: unknown attribute',
      '{"name":"ann","author":"x"}',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('cuts excerpts after masking', () => {
    const text = `${'x'.repeat(190)} password=supersecretvalue ${'y'.repeat(500)}`;
    const cut = excerpt(text);
    expect(cut).not.toContain('supersecret');
    expect(cut.length).toBeLessThanOrEqual(201);
    expect(cut.endsWith('…')).toBe(true);
  });
});
