/**
 * `resolver = "dns"`: instances from DNS, as Kubernetes headless services publish them.
 * SRV records of the host name first (target and port of each); when there are none, the
 * name's addresses with the port the host URL names. Answers are kept for a few seconds,
 * so most calls do not wait on DNS and a change is seen within that time.
 */
import { promises as dns } from 'node:dns';
import { CallError } from '../errors.js';
import type { Instance, Resolver } from './resolver.js';

const FRESH_MS = 5_000;

export class DnsResolver implements Resolver {
  private instances: Instance[] = [];
  private fetchedAt = 0;
  private pending: Promise<void> | undefined;
  private turn = 0;

  constructor(
    private readonly name: string,
    private readonly defaultPort: number,
  ) {}

  async next(): Promise<Instance> {
    if (Date.now() - this.fetchedAt > FRESH_MS) {
      this.pending ??= this.refresh().finally(() => (this.pending = undefined));
      await this.pending;
    }
    const list = this.instances;
    if (list.length === 0) throw new CallError(`service discovery for "${this.name}" failed: DNS has no SRV or address record`, 503, { code: 'MAESTRO_ERR_DISCOVERY' });
    return list[this.turn++ % list.length]!;
  }

  close(): void {}

  private async refresh(): Promise<void> {
    let found: Instance[] = [];
    try {
      const records = await dns.resolveSrv(this.name);
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      const best = records.filter((r) => r.priority === records[0]?.priority);
      for (const record of best) {
        const addresses = await dns.lookup(record.name, { all: true }).catch(() => []);
        for (const a of addresses) found.push({ host: a.address, port: record.port });
      }
    } catch {
      // No SRV records (or no answer): the name's addresses below.
    }
    if (found.length === 0) {
      const addresses = await dns.lookup(this.name, { all: true }).catch(() => []);
      found = addresses.map((a) => ({ host: a.address, port: this.defaultPort }));
    }
    this.instances = found;
    this.fetchedAt = Date.now();
  }
}
