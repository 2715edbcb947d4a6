import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Diagnostics, formatDiagnostic } from '../../src/errors.js';
import { ANNOTATIONS_PROTO, createMessageType, describeType, loadSchemas, readOption } from '../../src/schema/index.js';
import type { FieldType } from '../../src/schema/types.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/schema');
const examples = '/work/shared/semaphore-examples/examples';
const hasExamples = existsSync(examples);
if (!hasExamples) console.warn(`skipping Semaphore example schemas: ${examples} is absent`);

async function load(...patterns: string[]) {
  const diagnostics = new Diagnostics();
  const globs = patterns.map((value) => ({
    value,
    pos: { file: path.join(fixtures, 'config.hcl'), line: 3, column: 1 },
  }));
  const registry = await loadSchemas(globs, diagnostics);
  return { registry, diagnostics, messages: diagnostics.items.map(formatDiagnostic) };
}

describe('loadSchemas: Semaphore examples', () => {
  const sets = hasExamples
    ? readdirSync(examples).flatMap((name) =>
        ['proto', 'schemas']
          .filter((dir) => existsSync(path.join(examples, name, dir)))
          .map((dir) => path.join(examples, name, dir)),
      )
    : [];

  it.skipIf(!hasExamples).each(sets)('loads %s', async (dir) => {
    const { registry, messages } = await load(path.join(dir, '*.proto'));
    expect(messages).toEqual([]);
    expect(registry.files.length).toBeGreaterThan(0);
    expect(registry.messages.size).toBeGreaterThan(0);
  });

  it.skipIf(!hasExamples)('accepts the identical Query of examples/http and reads options', async () => {
    const { registry, messages } = await load(path.join(examples, 'http/proto/*.proto'));
    expect(messages).toEqual([]);
    expect(registry.files.map((f) => path.basename(f))).toEqual(['service.proto', 'users.proto']);
    const todo = registry.services.get('com.semaphore.Todo')!;
    expect(todo.options).toMatchObject({ transport: 'http', codec: 'json' });
    expect(todo.methods.get('Get')!.http).toEqual({ endpoint: '/todos/1', method: 'GET' });
    expect(registry.messages.get('com.semaphore.Item')!.fields.get('userId')!.scalar).toBe('int32');
  });

  it.skipIf(!hasExamples)('reads the host of a gRPC service', async () => {
    const { registry } = await load(path.join(examples, 'grpc/proto/*.proto'));
    const say = registry.services.get('semaphore.greeter.Say')!;
    expect(say.options).toMatchObject({ host: '127.0.0.1:5050', transport: 'grpc', codec: 'proto' });
    expect(say.package).toBe('semaphore.greeter');
    expect(say.methods.get('Hello')!.request!.fullName).toBe('semaphore.greeter.Request');
  });
});

describe('loadSchemas: fixtures', () => {
  it('resolves relative, built-in and well-known imports and reads options', async () => {
    const { registry, messages } = await load(path.join(fixtures, 'shop/*.proto'));
    expect(messages).toEqual([]);
    expect(registry.files).toEqual([
      path.join(fixtures, 'shop/shop.proto'),
      path.join(fixtures, 'shop/common/money.proto'),
    ]);
    const shop = registry.services.get('shop.Shop')!;
    expect(shop.options).toEqual({
      host: 'http://shop:8080',
      transport: 'http',
      codec: 'json',
      requestCodec: 'form',
      responseCodec: undefined,
    });
    expect(shop.pos).toMatchObject({ file: path.join(fixtures, 'shop/shop.proto'), line: 9 });
    const get = shop.methods.get('GetUser')!;
    expect(get.http).toEqual({ endpoint: '/users/:id', method: 'GET' });
    expect(get.response).toBe(registry.messages.get('shop.User'));
    const watch = shop.methods.get('Watch')!;
    expect([watch.requestStream, watch.responseStream, watch.http]).toEqual([true, true, undefined]);

    const user = registry.messages.get('shop.User')!;
    expect(user.fields.get('balance')!.message).toBe(registry.messages.get('shop.common.Money'));
    expect(user.fields.get('created')!.message!.fullName).toBe('google.protobuf.Timestamp');
    expect(user.pos).toMatchObject({ line: 31 });
    const describe = (name: string) => describeType(user.fields.get(name) as FieldType);
    expect([describe('age'), describe('tags'), describe('scores'), describe('balance')]).toEqual([
      'int32',
      'repeated string',
      'map<string, int32>',
      'shop.common.Money',
    ]);
    expect(createMessageType(user.proto)).toBe(user);
  });

  it('resolves an import under the glob base when it is not next to the importing file', async () => {
    const { registry, messages } = await load(path.join(fixtures, 'bases/a/*.proto'));
    expect(messages).toEqual([]);
    expect(registry.files.map((f) => path.relative(fixtures, f))).toEqual([
      'bases/a/x.proto',
      'bases/a/sub/z.proto',
      'bases/a/lib/y.proto',
    ]);
    expect(registry.messages.get('bases.Z')!.fields.get('y')!.message).toBe(registry.messages.get('bases.Y'));
  });

  it.skipIf(!hasExamples)('builds in the same annotations as Semaphore ships', async () => {
    const shipped = readFileSync(path.join(examples, '../api/annotations.proto'), 'utf8');
    const json = (text: string) => protobuf.parse(text, { keepCase: true }).root.toJSON();
    expect(json(ANNOTATIONS_PROTO)).toEqual(json(shipped));
    // A project that ships its own copy still loads: the duplicate is identical.
    const { messages } = await load(path.join(examples, '../api/*.proto'), path.join(examples, 'http/proto/*.proto'));
    expect(messages).toEqual([]);
  });

  it('reads options written field by field', async () => {
    const { registry, messages } = await load(path.join(fixtures, 'options/*.proto'));
    expect(messages).toEqual([]);
    const flat = registry.services.get('flat.Flat')!;
    expect(flat.options).toMatchObject({ host: 'http://flat:80', transport: 'http', codec: 'xml' });
    expect(flat.methods.get('Post')!.http).toEqual({ endpoint: '/flat', method: 'POST' });
  });

  it('merges both option forms protobufjs may produce', () => {
    const option = '(semaphore.api.service)';
    expect(readOption({ options: { [`${option}.host`]: 'a', [`${option}.codec`]: 'json' } }, option)).toEqual({
      host: 'a',
      codec: 'json',
    });
    expect(
      readOption({ parsedOptions: [{ [option]: { host: 'a' } }, { [option]: { codec: 'xml' } }] }, option),
    ).toEqual({ host: 'a', codec: 'xml' });
    expect(readOption({ parsedOptions: { [option]: { transport: 'grpc' } } }, option)).toEqual({ transport: 'grpc' });
  });

  it('reports a differing duplicate with both files', async () => {
    const { messages, diagnostics } = await load(path.join(fixtures, 'conflict/*.proto'));
    expect(diagnostics.errors.map((d) => d.code)).toEqual(['MAESTRO_ERR_SCHEMA_DUPLICATE']);
    expect(messages[0]).toBe(
      `${fixtures}/conflict/b.proto:7: message "conflict.Query" is defined differently in ${fixtures}/conflict/a.proto:5` +
        ` and ${fixtures}/conflict/b.proto:7 — rename one of them or make both definitions identical`,
    );
  });

  it('accepts an identical duplicate', async () => {
    const { registry, messages } = await load(path.join(fixtures, 'dup/*.proto'));
    expect(messages).toEqual([]);
    expect(registry.services.get('dup.B')!.methods.get('Get')!.request).toBe(registry.messages.get('dup.Query'));
  });

  it('positions a syntax error', async () => {
    const { diagnostics } = await load(path.join(fixtures, 'syntax/*.proto'));
    expect(diagnostics.errors).toHaveLength(1);
    expect(diagnostics.errors[0]).toMatchObject({
      code: 'MAESTRO_ERR_SCHEMA_SYNTAX',
      pos: { file: path.join(fixtures, 'syntax/bad.proto'), line: 6 },
    });
  });

  it('positions an unknown type', async () => {
    const { messages, registry } = await load(path.join(fixtures, 'unknown/*.proto'));
    expect(messages).toEqual([
      `${fixtures}/unknown/unknown.proto:7: unknown type "Missing" for field "missing" of message "unknown.Holder"`,
    ]);
    expect([...registry.messages.get('unknown.Holder')!.fields.keys()]).toEqual(['id']);
  });

  it('positions a missing import', async () => {
    const { messages } = await load(path.join(fixtures, 'missing/*.proto'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      new RegExp(`^${fixtures}/missing/missing.proto:5: import "nowhere/gone.proto" not found`),
    );
  });

  it('warns about a glob that matches nothing', async () => {
    const { diagnostics } = await load(path.join(fixtures, 'nothing/*.proto'));
    expect(diagnostics.errors).toEqual([]);
    expect(diagnostics.warnings).toMatchObject([{ code: 'MAESTRO_WARN_SCHEMA_GLOB', pos: { line: 3 } }]);
  });

  it('loads a file once when two globs match it', async () => {
    const { registry, messages } = await load(path.join(fixtures, 'dup/a.proto'), path.join(fixtures, 'dup/*.proto'));
    expect(messages).toEqual([]);
    expect(registry.files).toHaveLength(2);
  });
});
