// What cockatiel costs on the request path: a prepared call that answers at once, bare
// and wrapped with a circuit breaker, a retry policy, or both (nothing fails, so this is
// the overhead every successful call pays). Prints µs per call; asserts nothing.
//   npm run build && node bench/policies.mjs
import pino from 'pino';
import { Breakers, withPolicies } from '../dist/src/resilience/policies.js';
const base = async () => ({ status: 200, headers: {}, body: {} });
const service = {
  fullName: 's.S',
  transport: 'http',
  host: '',
  methods: new Map(),
  breaker: { failures: 5, coolDownMs: 1000 },
};
const call = (retry, breaker) => ({
  service: { ...service, breaker: breaker ? service.breaker : undefined },
  method: { name: 'M', options: {} },
  retry,
});
const breakers = new Breakers(pino({ level: 'silent' }));
const variants = {
  plain: base,
  breaker: withPolicies(call(undefined, true), base, breakers),
  retry: withPolicies(call({ attempts: 3, backoffMs: 10, maxBackoffMs: 100, keyed: false }, false), base, breakers),
  both: withPolicies(call({ attempts: 3, backoffMs: 10, maxBackoffMs: 100, keyed: false }, true), base, breakers),
};
const out = { body: {}, params: {}, headers: {}, requestId: 'r' };
const signal = new AbortController().signal;
for (let round = 0; round < 2; round++)
  for (const [name, fn] of Object.entries(variants)) {
    const N = 200000;
    const t = performance.now();
    for (let i = 0; i < N; i++) await fn(out, signal);
    if (round === 1) console.log(name.padEnd(8), (((performance.now() - t) / N) * 1000).toFixed(2), 'µs per call');
  }
