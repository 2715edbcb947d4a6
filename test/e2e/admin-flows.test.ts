/**
 * The /flows page (#15) on the admin listener (#13), across a reload: the page and its
 * figures describe the configuration serving now, and every generation keeps its own
 * traffic control (a rate limit changed by a reload applies to the new requests).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, send, sendJson, upstream } from './helpers.js';

const CONFIG = (flow: string, limit: number) => `admin {
  address = "127.0.0.1:0"
}

service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Get" {
    options {
      endpoint = "/x"
      method   = "GET"
    }
  }
}

endpoint "${flow}" "http" {
  endpoint = "/hello"
  method   = "GET"
  rate_limit {
    requests = ${limit}
    every    = "1m"
  }
}

flow "${flow}" {
  resource "up" {
    request "test.Up" "Get" {}
  }
  output {
    answer = "{{ up:ok }}"
  }
}
`;

interface Figures {
  flows: Array<{ name: string; resources: Array<{ name: string; calls: number }> }>;
}

describe('/flows on the admin listener', () => {
  it('serves the page and figures of the configuration serving now, and each reload brings its own rate limits', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { ok: true }));
    const dir = configDir({ 'main.hcl': CONFIG('first', 2) });
    const file = join(dir, 'main.hcl');
    const daemon = await startDaemon({
      config: [file],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const admin = `http://${daemon.addresses.admin!}`;
    const base = `http://${daemon.addresses.http!}`;

    const statuses = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await send(`${base}/hello`)).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    const page = await send(`${admin}/flows`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('data-flow="first"');
    const figures = (await send(`${admin}/flows/figures`)).json<Figures>();
    expect(figures.flows).toEqual([{ name: 'first', resources: [expect.objectContaining({ name: 'up', calls: 2 })] }]);

    writeFileSync(file, CONFIG('second', 4));
    expect((await daemon.reload('test')).result).toBe('success');
    // The new generation's limiter starts afresh with its own limit.
    expect(await statuses(5)).toEqual([200, 200, 200, 200, 429]);
    const after = await send(`${admin}/flows`);
    expect(after.text).toContain('data-flow="second"');
    expect(after.text).not.toContain('data-flow="first"');
    expect((await send(`${admin}/flows/figures`)).json<Figures>().flows).toEqual([
      { name: 'second', resources: [expect.objectContaining({ name: 'up', calls: 4 })] },
    ]);
    expect(up.seen).toHaveLength(6);
    expect((await send(`${admin}/flows`, { method: 'POST' })).status).toBe(405);
  });
});
