/**
 * `resolver = "dns"`: instances from DNS, as Kubernetes headless services publish them.
 * SRV records first, of `_<scheme>._tcp.<host>` (as Go's LookupSRV asks) and then of the host
 * name as written (target and port of each, best priority only); when there are none, the
 * name's addresses with the port the host URL names. Answers are kept for a few seconds,
 * so most calls do not wait on DNS and a change is seen within that time.
 */
import { promises as dns } from 'node:dns';
import { CallError } from '../errors.js';
import type { Instance, Resolver } from './resolver.js';

const FRESH_MS = 5_000;
/** SRV queries give up after 2 s × 2 tries, so a call never waits long on a silent server. */
const QUERY = { timeout: 2_000, tries: 2 };

export class DnsResolver implements Resolver {
  private instances: Instance[] = [];
  private fetchedAt = 0;
  private pending: Promise<void> | undefined;
  private turn = 0;
  private readonly srvResolver = new dns.Resolver(QUERY);

  constructor(
    private readonly name: string,
    private readonly defaultPort: number,
    private readonly scheme = 'http',
  ) {}

  async next(): Promise<Instance> {
    if (Date.now() - this.fetchedAt > FRESH_MS) {
      this.pending ??= this.refresh().finally(() => (this.pending = undefined));
      await this.pending;
    }
    const list = this.instances;
    if (list.length === 0)
      throw new CallError(`service discovery for "${this.name}" failed: DNS has no SRV or address record`, 503, {
        code: 'MAESTRO_ERR_DISCOVERY',
      });
    return list[this.turn++ % list.length]!;
  }

  close(): void {}

  private async refresh(): Promise<void> {
    let found: Instance[] = [];
    // The process's servers, as `dns.setServers` (or /etc/resolv.conf) last set them.
    this.srvResolver.setServers(dns.getServers());
    const names = this.name.startsWith('_') ? [this.name] : [`_${this.scheme}._tcp.${this.name}`, this.name];
    for (const name of names) {
      found = await this.srv(name);
      if (found.length > 0) break;
    }
    if (found.length === 0) {
      const addresses = await dns.lookup(this.name, { all: true }).catch(() => []);
      found = addresses.map((a) => ({ host: a.address, port: this.defaultPort }));
    }
    this.instances = found;
    this.fetchedAt = Date.now();
  }

  private async srv(name: string): Promise<Instance[]> {
    const found: Instance[] = [];
    try {
      const records = await this.srvResolver.resolveSrv(name);
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      const best = records.filter((r) => r.priority === records[0]?.priority);
      for (const record of best) {
        const addresses = await dns.lookup(record.name, { all: true }).catch(() => []);
        for (const a of addresses) found.push({ host: a.address, port: record.port });
      }
    } catch {
      // No SRV records (or no answer): the caller tries the next name, then addresses.
    }
    return found;
  }
}
