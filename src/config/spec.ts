/**
 * Generic bodies → the typed Spec, one file at a time, merged: lists append, and a
 * top-level singleton (`http {}`, `log_level`, the global `error`) written twice is an
 * error naming both places, even across files.
 */
import type { Diagnostics } from '../errors.js';
import type {
  GrpcListenerSpec,
  HttpListenerSpec,
  JwtKeySpec,
  ListenerSpec,
  Positioned,
  Spec,
  UpstreamSpec,
} from '../spec/types.js';
import type { HclAttribute, HclBlock, HclBody } from './ast.js';
import { buildErrorObject, buildOnError } from './fields.js';
import { buildFlow } from './flow.js';
import { buildJournal } from './resilience.js';
import {
  absolute,
  dispatch,
  firstOnly,
  labels,
  stringList,
  stringValue,
  typeError,
  type BuildContext,
} from './read.js';
import { buildLog, buildTelemetry } from './operations.js';
import { buildDiscovery, buildEndpoint, buildJwt, buildSelects, buildService } from './services.js';
import { buildCacheStore, buildRateLimitStore } from './traffic.js';

const TOP = 'at the top level';
type ListenerKey = 'graphql' | 'prometheus' | 'admin';

export function emptySpec(): Spec {
  return {
    files: [],
    protobuffers: [],
    functions: [],
    services: [],
    selects: [],
    discovery: [],
    endpoints: [],
    flows: [],
    jwtKeys: [],
  };
}

export class SpecBuilder {
  readonly spec: Spec = emptySpec();
  private readonly jwtNames = new Map<string, JwtKeySpec>();

  constructor(private readonly diagnostics: Diagnostics) {}

  /** Adds one file; returns its `include` entries (relative to the file's directory). */
  addFile(file: string, dir: string, body: HclBody, expandedLines: Set<number>): Positioned<string>[] {
    const ctx: BuildContext = { file, dir, diagnostics: this.diagnostics, expandedLines };
    const includes: Positioned<string>[] = [];
    this.spec.files.push(file);
    dispatch(body, { attributes: this.attributes(ctx, includes), blocks: this.blocks(ctx) }, TOP, ctx);
    return includes;
  }

  private attributes(ctx: BuildContext, includes: Positioned<string>[]): Record<string, (a: HclAttribute) => void> {
    const spec = this.spec;
    const paths = (a: HclAttribute): Positioned<string>[] =>
      stringList(a, TOP, ctx).flatMap((p) =>
        p.value ? [{ value: absolute(p.value, ctx), pos: p.pos }] : emptyEntry(a, p, ctx),
      );
    return {
      log_level: (a) => {
        const level = stringValue(a, TOP, ctx);
        if (level && firstOnly(spec.logLevel, 'log_level', a.pos, TOP, ctx)) spec.logLevel = level;
      },
      protobuffers: (a) => spec.protobuffers.push(...paths(a)),
      functions: (a) => spec.functions.push(...paths(a)),
      include: (a) => includes.push(...stringList(a, TOP, ctx)),
      flow_timeout: (a) => {
        const timeout = stringValue(a, TOP, ctx);
        if (timeout && firstOnly(spec.flowTimeout, 'flow_timeout', a.pos, TOP, ctx)) spec.flowTimeout = timeout;
      },
      openapi3: (a) => (spec.openapi3 ??= []).push(...paths(a)),
      avro: (a) => (spec.avro ??= []).push(...paths(a)),
    };
  }

  private blocks(ctx: BuildContext): Record<string, (b: HclBlock) => void> {
    const spec = this.spec;
    const listener = (key: ListenerKey) => (b: HclBlock) => {
      if (firstOnly(spec[key], `${key} block`, b.pos, TOP, ctx)) spec[key] = buildListener(b, ctx);
    };
    const push = <T>(list: T[], item: T | undefined): void => {
      if (item) list.push(item);
    };
    return {
      http: (b) => {
        if (firstOnly(spec.http, 'http block', b.pos, TOP, ctx)) spec.http = buildHttp(b, ctx);
      },
      upstream: (b) => {
        if (firstOnly(spec.upstream, 'upstream block', b.pos, TOP, ctx)) spec.upstream = buildUpstream(b, ctx);
      },
      grpc: (b) => {
        if (firstOnly(spec.grpc, 'grpc block', b.pos, TOP, ctx)) spec.grpc = buildGrpc(b, ctx);
      },
      graphql: listener('graphql'),
      prometheus: listener('prometheus'),
      admin: listener('admin'),
      log: (b) => {
        if (firstOnly(spec.log, 'log block', b.pos, TOP, ctx)) spec.log = buildLog(b, ctx);
      },
      telemetry: (b) => {
        if (firstOnly(spec.telemetry, 'telemetry block', b.pos, TOP, ctx)) spec.telemetry = buildTelemetry(b, ctx);
      },
      journal: (b) => {
        if (firstOnly(spec.journal, 'journal block', b.pos, TOP, ctx)) spec.journal = buildJournal(b, ctx);
      },
      service: (b) => push(spec.services, buildService(b, ctx)),
      services: (b) => spec.selects.push(...buildSelects(b, ctx)),
      discovery: (b) => push(spec.discovery, buildDiscovery(b, ctx)),
      error: (b) => {
        const error = firstOnly(spec.error, 'global error block', b.pos, TOP, ctx)
          ? buildErrorObject(b, TOP, ctx)
          : undefined;
        if (error) spec.error = error;
      },
      on_error: (b) => {
        const onError = firstOnly(spec.onError, 'global on_error block', b.pos, TOP, ctx)
          ? buildOnError(b, TOP, ctx)
          : undefined;
        if (onError) spec.onError = onError;
      },
      endpoint: (b) => push(spec.endpoints, buildEndpoint(b, ctx)),
      flow: (b) => push(spec.flows, buildFlow(b, ctx)),
      proxy: (b) => push(spec.flows, buildFlow(b, ctx)),
      rate_limit_store: (b) => {
        const store = firstOnly(spec.rateLimitStore, 'rate_limit_store block', b.pos, TOP, ctx)
          ? buildRateLimitStore(b, ctx)
          : undefined;
        if (store) spec.rateLimitStore = store;
      },
      cache: (b) => {
        const store = firstOnly(spec.cacheStore, 'cache block', b.pos, TOP, ctx) ? buildCacheStore(b, ctx) : undefined;
        if (store) spec.cacheStore = store;
      },
      jwt: (b) => {
        const key = buildJwt(b, ctx);
        if (!key || !firstOnly(this.jwtNames.get(key.name), `jwt "${key.name}"`, b.pos, TOP, ctx)) return;
        this.jwtNames.set(key.name, key);
        spec.jwtKeys.push(key);
      },
    };
  }
}

/** `protobuffers = ["$UNSET"]` leaves an empty entry: skip it rather than glob a directory. */
function emptyEntry(a: HclAttribute, entry: Positioned<string>, ctx: BuildContext): [] {
  if (!ctx.expandedLines.has(entry.pos.line)) {
    ctx.diagnostics.warn('MAESTRO_WARN_EMPTY_PATH', entry.pos, `empty entry in ${a.name} ignored`);
  }
  return [];
}

function buildListener(block: HclBlock, ctx: BuildContext): ListenerSpec {
  labels(block, [], 0, ctx);
  const listener: ListenerSpec = { address: { value: '', pos: block.pos }, pos: block.pos };
  const where = `in ${block.type}`;
  dispatch(
    block.body,
    { attributes: { address: (a) => setString(a, where, ctx, (v) => (listener.address = v)) } },
    where,
    ctx,
  );
  return listener;
}

/** `grpc { address  cert_file  key_file  max_message_size  idle_timeout  read_timeout }` (checked by compile). */
function buildGrpc(block: HclBlock, ctx: BuildContext): GrpcListenerSpec {
  labels(block, [], 0, ctx);
  const grpc: GrpcListenerSpec = { address: { value: '', pos: block.pos }, pos: block.pos };
  const where = 'in grpc';
  const file = (v: Positioned<string>): Positioned<string> => ({ ...v, value: v.value && absolute(v.value, ctx) });
  dispatch(
    block.body,
    {
      attributes: {
        address: (a) => setString(a, where, ctx, (v) => (grpc.address = v)),
        cert_file: (a) => setString(a, where, ctx, (v) => (grpc.certFile = file(v))),
        key_file: (a) => setString(a, where, ctx, (v) => (grpc.keyFile = file(v))),
        max_message_size: (a) => setCount(a, where, ctx, (v) => (grpc.maxMessageSize = v)),
        idle_timeout: (a) => setString(a, where, ctx, (v) => (grpc.idleTimeout = v)),
        read_timeout: (a) => setString(a, where, ctx, (v) => (grpc.readTimeout = v)),
      },
    },
    where,
    ctx,
  );
  return grpc;
}

/** `upstream { timeout = "30s"  max_response_size = "10MB" }` (checked by compile). */
function buildUpstream(block: HclBlock, ctx: BuildContext): UpstreamSpec {
  labels(block, [], 0, ctx);
  const upstream: UpstreamSpec = { pos: block.pos };
  const where = 'in upstream';
  dispatch(
    block.body,
    {
      attributes: {
        timeout: (a) => setString(a, where, ctx, (v) => (upstream.timeout = v)),
        max_response_size: (a) => setCount(a, where, ctx, (v) => (upstream.maxResponseSize = v)),
      },
    },
    where,
    ctx,
  );
  return upstream;
}

function buildHttp(block: HclBlock, ctx: BuildContext): HttpListenerSpec {
  labels(block, [], 0, ctx);
  const http: HttpListenerSpec = { address: { value: '', pos: block.pos }, origin: [], pos: block.pos };
  const where = 'in http';
  const file = (v: Positioned<string>): Positioned<string> => ({ ...v, value: v.value && absolute(v.value, ctx) });
  dispatch(
    block.body,
    {
      attributes: {
        address: (a) => setString(a, where, ctx, (v) => (http.address = v)),
        origin: (a) => (http.origin = stringList(a, where, ctx)),
        cert_file: (a) => setString(a, where, ctx, (v) => (http.certFile = file(v))),
        key_file: (a) => setString(a, where, ctx, (v) => (http.keyFile = file(v))),
        read_timeout: (a) => setString(a, where, ctx, (v) => (http.readTimeout = v)),
        write_timeout: (a) => setString(a, where, ctx, (v) => (http.writeTimeout = v)),
        body_limit: (a) => {
          if (typeof a.value === 'string' || typeof a.value === 'number')
            http.bodyLimit = { value: a.value, pos: a.valuePos };
          else typeError(a, 'a size ("10MB") or a number of bytes', where, ctx);
        },
        header_timeout: (a) => setString(a, where, ctx, (v) => (http.headerTimeout = v)),
        idle_timeout: (a) => setString(a, where, ctx, (v) => (http.idleTimeout = v)),
        max_fields: (a) => setCount(a, where, ctx, (v) => (http.maxFields = v)),
        max_array_index: (a) => setCount(a, where, ctx, (v) => (http.maxArrayIndex = v)),
        max_depth: (a) => setCount(a, where, ctx, (v) => (http.maxDepth = v)),
      },
    },
    where,
    ctx,
  );
  return http;
}

/** A whole number (checked by compile, with the position kept here). */
function setCount(
  a: HclAttribute,
  where: string,
  ctx: BuildContext,
  set: (value: Positioned<string | number>) => void,
): void {
  if (typeof a.value === 'string' || typeof a.value === 'number') set({ value: a.value, pos: a.valuePos });
  else typeError(a, 'a whole number', where, ctx);
}

function setString(a: HclAttribute, where: string, ctx: BuildContext, set: (value: Positioned<string>) => void): void {
  const value = stringValue(a, where, ctx);
  if (value) set(value);
}
