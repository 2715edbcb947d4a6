/**
 * Rate limits shared by two daemon processes through Redis (issue 14). Against the
 * machine's Redis on 127.0.0.1:6379 (a key prefix of its own per run): 8 requests spread
 * over both daemons give exactly 5 answers. Against a redis-server this test starts on a
 * free port and then kills (the shared one is never stopped): after the kill both daemons
 * keep answering, counting locally, and both log the fallback; once a Redis answers on that
 * port again, both say so and share the count again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, spawnDaemon, type DaemonProcess } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, send, sendJson, upstream, waitFor, type Answer } from './helpers.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379';

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const hasRedis = await reachable(SHARED_REDIS);
if (!hasRedis)
  console.warn(`SKIPPED: the shared rate-limit tests need Redis at ${SHARED_REDIS}, which is not reachable`);
const hasRedisServer = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve(false));
  probe.once('exit', (code) => resolve(code === 0));
});
if (!hasRedisServer)
  console.warn('SKIPPED: the Redis outage test needs the redis-server binary to start a private Redis');

const CONFIG = `
rate_limit_store {
  redis  = "$REDIS_URL"
  prefix = "$REDIS_PREFIX"
}

service "shop" "Items" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Get" {
    options {
      endpoint = "/items"
      method   = "GET"
    }
  }
}

endpoint "items" "http" {
  endpoint = "/items"
  method   = "GET"

  rate_limit {
    requests = 5
    every    = "1m"
  }
}

flow "items" {
  input {}

  resource "items" {
    request "shop.Items" "Get" {}
  }

  output {
    name = "{{ items:name }}"
  }
}
`;

async function twoDaemons(
  redisUrl: string,
): Promise<{ daemons: [DaemonProcess, DaemonProcess]; seen: () => number; prefix: string }> {
  const shop = await upstream((_req, res) => sendJson(res, 200, { name: 'lamp' }));
  const dir = configDir({ 'config.hcl': CONFIG });
  const prefix = `maestro-test-${randomUUID()}:`;
  const env = { UPSTREAM: shop.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
  const [a, b] = await Promise.all([
    spawnDaemon(join(dir, 'config.hcl'), env),
    spawnDaemon(join(dir, 'config.hcl'), env),
  ]);
  cleanup(() => Promise.all([a.stop(), b.stop()]));
  cleanup(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } catch {
      // the private server is gone: nothing to clean
    } finally {
      redis.disconnect();
    }
  });
  return { daemons: [a, b], seen: () => shop.seen.length, prefix };
}

/** 8 requests, alternating between the daemons. */
async function eight(daemons: [DaemonProcess, DaemonProcess]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < 8; i++) answers.push(await send(`http://${daemons[i % 2]!.address}/items`));
  return answers;
}

const fallbackLogged = (line: Record<string, unknown>) =>
  String(line.msg).includes('rate_limit_store: Redis is unreachable');

describe('rate limits shared through Redis', () => {
  it.skipIf(!hasRedis)('two daemons on the shared Redis answer exactly 5 of 8 requests in total', async () => {
    const { daemons, seen, prefix } = await twoDaemons(SHARED_REDIS);
    const answers = await eight(daemons);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(3);
    expect(seen()).toBe(5);
    // Both daemons answered some of the 5: the count really was shared.
    expect(answers[0]!.status).toBe(200);
    expect(answers[1]!.status).toBe(200);
    const redis = new Redis(SHARED_REDIS);
    try {
      expect(await redis.keys(`${prefix}rl:*`)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
    expect(daemons.every((d) => !d.logs.some(fallbackLogged))).toBe(true);
  });

  it.skipIf(!hasRedisServer)('with their Redis killed mid-test, both keep answering and log the fallback', async () => {
    const port = await freePort();
    const server: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    cleanup(() => {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    });
    const url = `redis://127.0.0.1:${port}`;
    await waitFor(() => reachable(url), 'the private redis-server to answer PING', 10_000);

    const { daemons, seen } = await twoDaemons(url);
    const before = await eight(daemons);
    expect(before.filter((a) => a.status === 200)).toHaveLength(5);
    expect(seen()).toBe(5);

    const gone = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await gone;
    // Every request is answered (never a 5xx for the store); the buckets are now local, fresh.
    const after: Answer[] = [];
    for (let i = 0; i < 4; i++) after.push(await send(`http://${daemons[i % 2]!.address}/items`));
    expect(after.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const d of daemons) await d.waitForLog(fallbackLogged);
    const metrics = (await send(`http://${daemons[0].address}/metrics`)).text;
    expect(metrics).toContain('maestro_rate_limit_store_fallbacks_total 1');
    expect(metrics).toMatch(/maestro_rate_limit_local_decisions_total [1-9]/);

    // Redis back on the same port (empty): both reconnect, say so, and share the count again.
    const again: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    cleanup(() => {
      if (again.exitCode === null && again.signalCode === null) again.kill('SIGKILL');
    });
    const back = (line: Record<string, unknown>) =>
      String(line.msg).includes('rate_limit_store: Redis is reachable again');
    for (const d of daemons) await d.waitForLog(back, 15_000);
    const shared = await eight(daemons);
    expect(shared.filter((a) => a.status === 200)).toHaveLength(5);
    expect(shared.filter((a) => a.status === 429)).toHaveLength(3);
  });
});
