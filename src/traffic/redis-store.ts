/**
 * The shared store of `rate_limit_store { redis }`: every instance decides through one
 * atomic Lua script per request, timed by Redis' own clock so instances need not agree on
 * the time; cached answers live there too. Redis is never a reason to fail a request:
 * when it is unreachable (not connected, a command fails or times out) the caller falls
 * back to counting in this process, which is logged once per outage and counted.
 *
 *   ready ──command fails──▶ down (warn, fallbacks_total +1) ──'ready' again──▶ ready (info)
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimitPlan } from '../compile/plan.js';
import { decide, refillRate, type Decision } from './token-bucket.js';
import type { TrafficMeters } from './meters.js';

/**
 * KEYS[1] the bucket; ARGV burst, tokens per ms. Returns {allowed, tokens left as text}:
 * Redis truncates Lua numbers to integers, and the fraction matters. Redis before 5 needs
 * replicate_commands() to write after TIME; later versions always replicate effects.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return {allowed, tostring(tokens)}
`;

interface WithTake {
  maestroTake(key: string, burst: string, rate: string): Promise<[number, string]>;
}

/** How long the daemon waits for Redis at start before serving with local counting. */
const CONNECT_WAIT_MS = 2000;
/** After a failed command on an open connection, Redis is tried again this much later. */
const PROBE_AFTER_MS = 1000;

export class RedisStore {
  private readonly redis: Redis & WithTake;
  private up = false;
  /** Set once an outage has been logged, cleared when Redis is back. */
  private outage = false;
  /**
   * After a failed command on a connection that still looks open (a timeout, say), Redis
   * is tried again from this time on: no 'ready' event would ever announce its return.
   */
  private probeAt = 0;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly meters: TrafficMeters,
  ) {
    // No offline queue and no retries per command: a request never waits for a reconnect.
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 500,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    }) as Redis & WithTake;
    this.redis.defineCommand('maestroTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis.on('ready', () => this.ok());
    // ioredis reports every failed reconnect; the outage itself is logged once, in down().
    this.redis.on('error', () => undefined);
    this.redis.on('close', () => this.down('connection closed'));
  }

  /** Resolves once connected, or after a bounded wait (then limits start out local). */
  async start(): Promise<void> {
    if (this.redis.status === 'ready') return;
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), CONNECT_WAIT_MS);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) this.down('not reachable at start');
  }

  /** One token from the shared bucket, or undefined when Redis cannot decide now. */
  async take(limit: RateLimitPlan, key: string): Promise<Decision | undefined> {
    if (!this.shared) return undefined;
    try {
      const [allowed, tokens] = await this.redis.maestroTake(
        `${this.prefix}rl:${limit.id}:${key}`,
        String(limit.burst),
        String(refillRate(limit)),
      );
      this.ok();
      return decide(limit, Number(tokens), allowed === 1);
    } catch (error) {
      this.down((error as Error).message);
      return undefined;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (!this.shared) return undefined;
    try {
      const value = (await this.redis.getBuffer(`${this.prefix}cache:${key}`)) ?? undefined;
      this.ok();
      return value;
    } catch (error) {
      this.down((error as Error).message);
      return undefined;
    }
  }

  /** Stores a cached answer; false when Redis could not take it (the caller keeps it in memory). */
  async set(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    if (!this.shared) return false;
    try {
      await this.redis.set(`${this.prefix}cache:${key}`, value, 'PX', Math.max(1, Math.round(ttlMs)));
      this.ok();
      return true;
    } catch (error) {
      this.down((error as Error).message);
      return false;
    }
  }

  /** Whether to ask Redis now: connected, and either well or due for another try. */
  get shared(): boolean {
    return this.redis.status === 'ready' && (this.up || Date.now() >= this.probeAt);
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('close');
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private ok(): void {
    if (this.up) return;
    this.up = true;
    if (this.outage) this.logger.info('rate_limit_store: Redis is reachable again; limits are shared again');
    this.outage = false;
  }

  private down(reason: string): void {
    this.up = false;
    this.probeAt = Date.now() + PROBE_AFTER_MS;
    if (this.outage) return;
    this.outage = true;
    this.meters.fallback();
    this.logger.warn(
      { reason },
      'rate_limit_store: Redis is unreachable; limits count in this instance and caches stay in memory until it is back',
    );
  }
}
