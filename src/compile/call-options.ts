/**
 * Transport options of an HTTP call that Semaphore read from `options { }`: on the
 * service, on its method, or on the call itself (the nearest wins). What Maestro can
 * honour is resolved here once; what it cannot is a warning naming file:line, never
 * silently ignored.
 *
 *   follow_redirects  bool, default true: 301/302/303/307/308 are followed (up to 10)
 *   insecure          bool: the upstream's TLS certificate is not verified
 *   ca_file           path (relative to the file): trusted CA certificates, PEM
 *   keep_alive        duration: TCP keep-alive probes on upstream connections
 *   max_idle_conns, flush_interval: warned about (see the messages)
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Diagnostics } from '../errors.js';
import type { CallSpec, HclValue, Positioned, Spec } from '../spec/types.js';
import { parseDuration } from './duration.js';
import type { HttpCallOptions } from './plan.js';

type Options = Record<string, Positioned<HclValue>>;

const IGNORED: Record<string, string> = {
  max_idle_conns: 'max_idle_conns is not used: each upstream origin keeps one pool of up to 64 keep-alive connections',
  flush_interval: 'flush_interval is not needed: proxied answers are streamed as they arrive',
};

/** The options in effect for `call`, merged service < method < call. */
export function compileHttpCallOptions(spec: Spec, call: CallSpec, diagnostics: Diagnostics): HttpCallOptions {
  const merged: Options = {};
  for (const service of spec.services) {
    if (service.fullName !== call.service) continue;
    Object.assign(merged, service.options);
    for (const method of service.methods) if (method.name === call.method) Object.assign(merged, method.options);
  }
  Object.assign(merged, call.options);
  return readHttpCallOptions(merged, diagnostics);
}

/**
 * The options of the service a proxy forwards to: TLS trust and keep-alive apply to the
 * forward too; redirects are the client's to follow (a proxy passes them on), said at
 * file:line rather than left silent.
 */
export function compileForwardOptions(
  spec: Spec,
  service: string,
  proxy: string,
  diagnostics: Diagnostics,
): HttpCallOptions | undefined {
  const merged: Options = {};
  for (const block of spec.services) if (block.fullName === service) Object.assign(merged, block.options);
  const redirects = merged.follow_redirects;
  if (redirects)
    diagnostics.warn(
      'MAESTRO_WARN_IGNORED',
      redirects.pos,
      `follow_redirects applies to calls of "${service}"; the forward of proxy "${proxy}" passes redirects to its client`,
    );
  if (!merged.insecure && !merged.ca_file && !merged.keep_alive) return undefined;
  return readHttpCallOptions(merged, diagnostics);
}

export function readHttpCallOptions(options: Options, diagnostics: Diagnostics): HttpCallOptions {
  const out: HttpCallOptions = { followRedirects: true, insecure: false };
  const flag = (name: string): boolean | undefined => {
    const option = options[name];
    if (option === undefined) return undefined;
    if (typeof option.value === 'boolean') return option.value;
    if (option.value === 'true' || option.value === 'false') return option.value === 'true';
    diagnostics.error(
      'MAESTRO_ERR_OPTION',
      option.pos,
      `${name} must be true or false, got ${JSON.stringify(String(option.value))}`,
    );
    return undefined;
  };
  out.followRedirects = flag('follow_redirects') ?? true;
  out.insecure = flag('insecure') ?? false;

  const ca = options.ca_file;
  if (ca && ca.value !== '') {
    const file = isAbsolute(String(ca.value)) ? String(ca.value) : resolve(dirname(ca.pos.file), String(ca.value));
    if (readableFile(file)) out.caFile = file;
    else
      diagnostics.error(
        'MAESTRO_ERR_OPTION',
        ca.pos,
        `ca_file "${String(ca.value)}" does not exist or is not a readable file`,
      );
  }
  const keepAlive = options.keep_alive;
  if (keepAlive) {
    const ms = parseDuration(keepAlive.value);
    if (ms === undefined)
      diagnostics.error(
        'MAESTRO_ERR_DURATION',
        keepAlive.pos,
        `invalid keep_alive "${String(keepAlive.value)}"; write e.g. "30s"`,
      );
    else out.keepAliveMs = ms;
  }
  for (const name in IGNORED) {
    const option = options[name];
    if (option) diagnostics.warn('MAESTRO_WARN_IGNORED', option.pos, IGNORED[name]!);
  }
  return out;
}

/** What the daemon will read at start: checked here so that validate refuses it first. */
function readableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
