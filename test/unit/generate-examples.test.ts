/**
 * `generate` on every Semaphore example: each document passes its consumer
 * (@readme/openapi-parser, graphql-js, protobufjs) and names every endpoint of its
 * protocol — every HTTP endpoint is an operation, every GraphQL endpoint a field, every
 * gRPC endpoint a method.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { buildSchema, type GraphQLField, type GraphQLObjectType } from 'graphql';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/compile/plan.js';
import { loadPlan } from '../../src/daemon/load.js';
import { generate } from '../../src/generate/index.js';
import { openapiPath } from '../../src/generate/openapi.js';
import { EXAMPLES, PRESENT } from '../fixtures/compat/examples.js';

function configsOf(name: string): { config: string[]; protos?: string[] }[] {
  const dir = join(EXAMPLES, name);
  if (existsSync(join(dir, 'config.hcl'))) return [{ config: [join(dir, 'config.hcl')] }];
  const nested = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'config.hcl')));
  if (nested.length > 0) return nested.map((d) => ({ config: [join(dir, d, 'config.hcl')] }));
  return [{ config: [join(dir, 'flow.hcl')], protos: [join(dir, 'proto/*.proto')] }];
}

async function checkOpenapi(plan: Plan): Promise<void> {
  const document = JSON.parse(generate('openapi3', plan).text) as { paths: Record<string, Record<string, unknown>> };
  const result = await validate(structuredClone(document) as never);
  expect(result.errors ?? []).toEqual([]);
  for (const e of plan.endpoints) {
    if (e.protocol !== 'http') continue;
    const item = document.paths[openapiPath(e.path).template];
    expect(item, `${e.method} ${e.path}`).toBeDefined();
    if (e.method !== '*') expect(item![e.method.toLowerCase()], `${e.method} ${e.path}`).toBeDefined();
  }
}

function checkGraphql(plan: Plan): void {
  const endpoints = plan.endpoints.filter((e) => e.protocol === 'graphql');
  if (endpoints.length === 0) return;
  const schema = buildSchema(generate('graphql', plan).text);
  for (const e of endpoints) {
    let type: GraphQLObjectType | undefined | null =
      e.base === 'query' ? schema.getQueryType() : schema.getMutationType();
    let field: GraphQLField<unknown, unknown> | undefined;
    for (const part of e.path) {
      field = type?.getFields()[part];
      type = field?.type as GraphQLObjectType | undefined;
    }
    expect(field?.description, e.path.join('.')).toContain(`"${e.flow.name}"`);
  }
}

function checkProtobuf(plan: Plan): void {
  const endpoints = plan.endpoints.filter((e) => e.protocol === 'grpc');
  if (endpoints.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-generate-'));
  try {
    writeFileSync(join(dir, 'flows.proto'), generate('protobuf', plan).text);
    const root = protobuf.loadSync(join(dir, 'flows.proto'));
    root.resolveAll();
    for (const e of endpoints)
      expect(
        root.lookupService(`${e.package}.${e.service}`).methods[e.method],
        `${e.service}/${e.method}`,
      ).toBeDefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!PRESENT)('generate on the Semaphore examples', () => {
  for (const name of PRESENT ? readdirSync(EXAMPLES).sort() : []) {
    for (const options of configsOf(name)) {
      it(`${name}: ${options.config[0]!.slice(EXAMPLES.length + 1)}`, async () => {
        const { plan } = await loadPlan({ ...options, env: {} });
        await checkOpenapi(plan!);
        checkGraphql(plan!);
        checkProtobuf(plan!);
      });
    }
  }
});

it.skipIf(PRESENT)('generate on the Semaphore examples: skipped, the examples are not beside the project', () => {});
