/**
 * Upstream answers and waits are bounded (issue #8). A flow call's answer over
 * `max_response_size` (10 MB by default; service, method or call may set it) is a 502
 * naming the limit and is read no further — a 50 MB answer leaves a daemon process's
 * RSS flat, while the same 50 MB through a proxy streams through whole. Every call has a
 * timeout (call, else service, else `upstream { timeout }`, else 30 s); when it expires
 * the flow answers 504 and the rollbacks of what succeeded run.
 */
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { MB, spawnDaemon, within } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, daemon, deferred, send, sendJson, upstream, waitFor } from './helpers.js';

/** Writes `size` bytes of a JSON string, chunk by chunk, honouring back-pressure; resolves with what was written. */
function writeBig(
  res: ServerResponse,
  size: number,
  contentLength: boolean,
): Promise<{ written: number; finished: boolean }> {
  res.writeHead(
    200,
    contentLength
      ? { 'content-type': 'application/json', 'content-length': String(size) }
      : { 'content-type': 'application/json' },
  );
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  return new Promise((resolve) => {
    res.once('close', () => resolve({ written, finished: res.writableFinished }));
    const pump = (): void => {
      while (written < size) {
        const piece =
          written === 0
            ? Buffer.concat([Buffer.from('"'), chunk.subarray(1)])
            : size - written <= chunk.length
              ? Buffer.concat([chunk.subarray(0, size - written - 1), Buffer.from('"')])
              : chunk;
        written += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
}

const BIG_FLOWS = `
service "h" "Big" {
  host = "$BIG"
  method "Get" {
    options {
      endpoint = "/big"
      method   = "GET"
    }
  }
}

endpoint "big" "http" {
  endpoint = "/big"
  method   = "GET"
}

flow "big" {
  resource "big" {
    request "h.Big" "Get" {}
  }
  output {
    size = "{{ len(big:.) }}"
  }
}

endpoint "through" "http" {
  endpoint = "/through/*path"
  method   = "GET"
}

proxy "through" {
  forward "h.Big" {}
  rewrite "/through/(?P<rest>.*)" "/<rest>" {}
}
`;

describe('the answer size cap, against a daemon process', () => {
  it('answers a 50 MB upstream answer with 502 naming the limit, RSS growth under 30 MB; a proxy streams it whole', async () => {
    const outcomes: Array<{ written: number; finished: boolean }> = [];
    const big = await upstream(async (req, res) => {
      outcomes.push(await writeBig(res, 50 * MB, req.url!.includes('length')));
    });
    const dir = configDir({ 'flows.hcl': BIG_FLOWS });
    const proc = await spawnDaemon(join(dir, 'flows.hcl'), { BIG: big.url });
    cleanup(() => proc.stop());
    const base = `http://${proc.address}`;

    // Warm-up: the failing path a few times, so that the baseline holds its code and the
    // allocator's arenas have grown to what one capped read takes (as proxy-streams does).
    for (let i = 0; i < 3; i++) expect((await send(`${base}/big`)).status).toBe(502);
    await waitFor(() => outcomes.length === 3, 'the warm-up answers to end');
    const idle = proc.rss();
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, proc.rss())), 20);
    cleanup(() => clearInterval(sampler));
    // One answer in the measured window: it may rightly hold up to the 10 MB cap while it reads.
    const chunked = await within(send(`${base}/big`), 20_000, 'the capped chunked answer');
    clearInterval(sampler);
    peak = Math.max(peak, proc.rss());
    const answers = [
      chunked,
      await within(send(`${base}/big?length`), 20_000, 'the capped answer with a content-length'),
    ];
    console.log(
      `50 MB upstream answers: daemon pid ${proc.pid} RSS baseline ${(idle / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB`,
    );
    for (const answer of answers) {
      expect(answer.status).toBe(502);
      expect(answer.json()).toEqual({
        status: 502,
        message: 'upstream h.Big.Get answered more than 10 MB (limit max_response_size)',
      });
    }
    expect(peak - idle).toBeLessThan(30 * MB);
    // Read no further: neither upstream got to finish its 50 MB.
    await waitFor(() => outcomes.length === 5, 'both upstream answers to end');
    for (const outcome of outcomes) expect(outcome).toMatchObject({ finished: false });
    expect(outcomes[4]!.written).toBeLessThan(50 * MB);

    // The same answer through a proxy: streamed, whole.
    const res = await request(`${base}/through/big`);
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    expect(res.statusCode).toBe(200);
    expect(bytes).toBe(50 * MB);
  });
});

const CAPPED = `
service "h" "Data" {
  host              = "$DATA"
  max_response_size = "1KB"
  method "Small" {
    options {
      endpoint = "/data"
      method   = "GET"
    }
  }
}

endpoint "capped" "http" {
  endpoint = "/capped"
  method   = "GET"
}

flow "capped" {
  resource "data" {
    request "h.Data" "Small" {}
  }
  output {
    size = "{{ len(data:text) }}"
  }
}

endpoint "raised" "http" {
  endpoint = "/raised"
  method   = "GET"
}

flow "raised" {
  resource "data" {
    request "h.Data" "Small" {
      options {
        max_response_size = "4KB"
      }
    }
  }
  output {
    size = "{{ len(data:text) }}"
  }
}
`;

describe('max_response_size settings', () => {
  it('takes the service cap, and a call may raise it', async () => {
    const data = await upstream((_req, res) => sendJson(res, 200, { text: 'x'.repeat(2_000) }));
    const dir = configDir({ 'flows.hcl': CAPPED });
    const { base } = await daemon([join(dir, 'flows.hcl')], { DATA: data.url });
    const capped = await send(`${base}/capped`);
    expect(capped.status).toBe(502);
    expect(capped.json()).toEqual({
      status: 502,
      message: 'upstream h.Data.Small answered more than 1 KB (limit max_response_size)',
    });
    const raised = await send(`${base}/raised`);
    expect(raised.status).toBe(200);
    expect(raised.json()).toEqual({ size: 2_000 });
  });
});

const HUNG = (upstreamBlock: string, serviceTimeout: string) => `
${upstreamBlock}

service "h" "Shop" {
  host = "$SHOP"
  ${serviceTimeout}
  method "Reserve" {
    options {
      endpoint = "/reserve"
      method   = "POST"
    }
  }
  method "Release" {
    options {
      endpoint = "/release"
      method   = "POST"
    }
  }
  method "Hang" {
    options {
      endpoint = "/hang"
      method   = "POST"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/order"
  method   = "POST"
}

flow "order" {
  resource "reserve" {
    request "h.Shop" "Reserve" {
      sku = "L1"
    }
    rollback "h.Shop" "Release" {
      id = "{{ reserve:id }}"
    }
  }
  resource "hang" {
    depends_on = ["reserve"]
    request "h.Shop" "Hang" {}
  }
  output {
    id = "{{ reserve:id }}"
  }
}
`;

describe('every upstream call has a timeout', () => {
  async function hungShop(config: string) {
    const never = deferred();
    cleanup(() => never.resolve());
    const shop = await upstream(async (req, res) => {
      if (req.url === '/hang') await never.promise;
      sendJson(res, 200, { id: 'r-1' });
    });
    const dir = configDir({ 'flows.hcl': config });
    const { base } = await daemon([join(dir, 'flows.hcl')], { SHOP: shop.url });
    return { base, shop };
  }

  it('a call with no timeout configured gets upstream { timeout }: 504, and the rollbacks run', async () => {
    const { base, shop } = await hungShop(HUNG('upstream {\n  timeout = "1s"\n}', ''));
    const res = await within(
      send(`${base}/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      10_000,
      'the 504',
    );
    expect(res.status).toBe(504);
    expect(res.json()).toEqual({ status: 504, message: 'upstream h.Shop.Hang timed out after 1000ms' });
    await waitFor(() => shop.seen.some((s) => s.url === '/release'), 'the rollback');
    expect(shop.seen.map((s) => s.url)).toEqual(['/reserve', '/hang', '/release']);
    expect(JSON.parse(shop.seen[2]!.body)).toEqual({ id: 'r-1' });
  });

  it('the service timeout comes before the global one', async () => {
    const { base } = await hungShop(HUNG('upstream {\n  timeout = "20s"\n}', 'timeout = "500ms"'));
    const res = await within(
      send(`${base}/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      10_000,
      'the 504',
    );
    expect(res.json()).toEqual({ status: 504, message: 'upstream h.Shop.Hang timed out after 500ms' });
  });
});
