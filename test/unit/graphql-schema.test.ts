import { graphql, printSchema, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { SchemaRegistry } from '../../src/schema/types.js';
import { jsonText } from '../../src/template/index.js';
import { buildGraphqlSchema } from '../../src/transport/graphql/schema.js';
import { endpoint, FakeRunner, flowPlan, loadFixtureSchemas, message } from './graphql-helpers.js';

let registry: SchemaRegistry;
beforeAll(async () => {
  registry = await loadFixtureSchemas();
});

function usersSchema(runner = new FakeRunner()): GraphQLSchema {
  const m = (name: string) => message(registry, name);
  return buildGraphqlSchema(
    [
      endpoint(flowPlan('get_user', m('users.UserQuery'), m('users.User')), 'user.get', 'query', 'Profile'),
      endpoint(flowPlan('search', m('users.Search'), m('users.UserList')), 'users.search'),
      endpoint(flowPlan('create', m('users.NewUser'), m('users.User')), 'user.create', 'mutation'),
      endpoint(flowPlan('echo', undefined, undefined), 'echo'),
    ],
    runner,
  );
}

describe('buildGraphqlSchema', () => {
  it('nests dotted paths, maps proto types and names the output after the endpoint', () => {
    const sdl = printSchema(usersSchema());
    expect(sdl).toContain('type Query {\n  user: QueryUser\n  users: QueryUsers\n');
    expect(sdl).toMatch(/type QueryUser {\n(.*\n)*\s+get\(id: String\): Profile\n}/);
    expect(sdl).toMatch(/type Mutation {\n\s+user: MutationUser\n}/);
    expect(sdl).toMatch(/create\(name: String, role: Role, address: AddressInput, tags: \[String!\]\): Profile/);
    expect(sdl).toMatch(/search\(role: Role, limit: Int\): UserList/);
    expect(sdl).toMatch(/echo\(input: JSON\): JSON/);
    expect(sdl).toContain('enum Role {\n  ROLE_UNKNOWN\n  ADMIN\n  MEMBER\n}');
    // One object type per message: users.User is "Profile" everywhere, nested lists included.
    expect(sdl).toMatch(
      /type Profile {\n\s+id: Int64\n\s+name: String\n\s+role: Role\n\s+address: Address\n\s+tags: \[String\]\n\s+active: Boolean\n\s+score: Float\n\s+labels: JSON\n}/,
    );
    expect(sdl).toMatch(/type UserList {\n\s+users: \[Profile\]\n}/);
    expect(sdl).toMatch(/input AddressInput {\n\s+street: String\n\s+city: String\n}/);
  });

  it('resolves name clashes between packages deterministically and handles recursion', () => {
    const endpoints = [
      endpoint(flowPlan('a', undefined, message(registry, 'users.User')), 'a'),
      endpoint(flowPlan('b', message(registry, 'admin.User'), message(registry, 'admin.User')), 'b'),
      endpoint(flowPlan('c', message(registry, 'admin.Empty'), message(registry, 'admin.Empty')), 'c'),
    ];
    const build = () => printSchema(buildGraphqlSchema(endpoints, new FakeRunner()));
    const sdl = build();
    expect(sdl).toMatch(/a\(input: JSON\): User\n/);
    expect(sdl).toMatch(/b\(login: String, reports: \[admin_UserInput!\]\): admin_User\n/);
    expect(sdl).toMatch(/type admin_User {\n\s+login: String\n\s+reports: \[admin_User\]\n}/);
    expect(sdl).toMatch(/input admin_UserInput {\n\s+login: String\n\s+reports: \[admin_UserInput!\]\n}/);
    // An empty message has no fields to show: JSON, and no arguments.
    expect(sdl).toMatch(/\n\s+c: JSON\n/);
    expect(build()).toBe(sdl);
  });

  it('gives a second endpoint name its own twin type and keeps the first one for nested uses', () => {
    const user = message(registry, 'users.User');
    const sdl = printSchema(
      buildGraphqlSchema(
        [
          endpoint(flowPlan('a', undefined, user), 'a', 'query', 'Profile'),
          endpoint(flowPlan('b', undefined, user), 'b', 'query', 'Member'),
          endpoint(flowPlan('c', undefined, user), 'c', 'query', 'Member'),
          endpoint(flowPlan('d', undefined, message(registry, 'users.UserList')), 'd'),
        ],
        new FakeRunner(),
      ),
    );
    expect(sdl).toMatch(/a\(input: JSON\): Profile\n/);
    expect(sdl).toMatch(/b\(input: JSON\): Member\n/);
    expect(sdl).toMatch(/c\(input: JSON\): Member\n/);
    expect(sdl).toMatch(/type UserList {\n\s+users: \[Profile\]\n}/);
    expect(sdl.match(/^type Member /gm)).toHaveLength(1);
  });

  it('adds a placeholder Query field when every flow is a mutation', () => {
    const schema = buildGraphqlSchema(
      [endpoint(flowPlan('m', undefined, undefined), 'doIt', 'mutation')],
      new FakeRunner(),
    );
    expect(printSchema(schema)).toContain('type Query {\n  _service: String\n}');
  });

  it('rejects a path that is both a flow and a prefix, with both positions', () => {
    const run = () =>
      buildGraphqlSchema(
        [
          endpoint(flowPlan('whole', undefined, undefined), 'user'),
          endpoint(flowPlan('part', undefined, undefined), 'user.get'),
        ],
        new FakeRunner(),
      );
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      /^flows\.hcl:\d+: graphql query field "user\.get" of "part" conflicts with query field "user" of "whole" \(flows\.hcl:\d+\)/,
    );
  });

  it('rejects a path segment that is not a GraphQL name', () => {
    expect(() =>
      buildGraphqlSchema([endpoint(flowPlan('x', undefined, undefined), 'user.get-one')], new FakeRunner()),
    ).toThrow(/"get-one" is not a GraphQL field name/);
  });
});

describe('resolvers', () => {
  it('turns arguments into runtime input: enums by name, int64 exact, nulls dropped', async () => {
    const runner = new FakeRunner();
    const schema = buildGraphqlSchema(
      [
        endpoint(
          flowPlan('create', message(registry, 'users.NewUser'), message(registry, 'users.User')),
          'user.create',
          'mutation',
        ),
        endpoint(flowPlan('echo', undefined, undefined), 'echo'),
      ],
      runner,
    );
    const contextValue = {
      header: { authorization: 'Bearer x' },
      requestId: 'rid-1',
      signal: new AbortController().signal,
    };
    const result = await graphql({
      schema,
      source:
        'mutation { user { create(name: "Ann", role: ADMIN, address: {street: "Main", city: null}, tags: ["a"]) { name role tags } } }',
      contextValue,
    });
    expect(result).toEqual({ data: { user: { create: { name: 'Ann', role: 'ADMIN', tags: ['a'] } } } });
    expect(runner.requests[0]!.request).toMatchObject({
      input: { name: 'Ann', role: 'ADMIN', address: { street: 'Main' }, tags: ['a'] },
      header: { authorization: 'Bearer x' },
      params: {},
      requestId: 'rid-1',
    });
    const echoed = await graphql({
      schema,
      source: '{ echo(input: {text: "hi", n: 9007199254740993}) }',
      contextValue,
    });
    expect(echoed.data).toEqual({ echo: { text: 'hi', n: 9007199254740993 } });
  });

  it('writes int64 exactly and enum numbers as names', async () => {
    const body = { id: 2n ** 60n + 1n, role: 2, name: 'Bo' };
    const runner = new FakeRunner(() => ({ ok: true, header: {}, body }));
    const schema = buildGraphqlSchema(
      [endpoint(flowPlan('get', message(registry, 'users.UserQuery'), message(registry, 'users.User')), 'get')],
      runner,
    );
    const result = await graphql({
      schema,
      source: '{ get(id: "1") { id role name } }',
      contextValue: { header: {}, requestId: 'r', signal: new AbortController().signal },
    });
    expect(jsonText(result)).toBe('{"data":{"get":{"id":1152921504606846977,"role":"MEMBER","name":"Bo"}}}');
  });

  it('fails only the failing field, with status and error object in extensions', async () => {
    const runner = new FakeRunner((flow) =>
      flow.name === 'bad'
        ? {
            ok: false,
            status: 404,
            message: 'no such user',
            body: { status: 404, message: 'no such user', reason: 'gone' },
            header: {},
          }
        : { ok: true, header: {}, body: { name: 'Ann' } },
    );
    const schema = buildGraphqlSchema(
      [
        endpoint(flowPlan('good', message(registry, 'users.UserQuery'), message(registry, 'users.User')), 'user.get'),
        endpoint(flowPlan('bad', message(registry, 'users.UserQuery'), message(registry, 'users.User')), 'user.bad'),
      ],
      runner,
    );
    const result = await graphql({
      schema,
      source: '{ user { get(id: "1") { name } bad(id: "2") { name } } }',
      contextValue: { header: {}, requestId: 'r', signal: new AbortController().signal },
    });
    expect(JSON.parse(jsonText(result))).toEqual({
      errors: [
        {
          message: 'no such user',
          locations: [{ line: 1, column: 32 }],
          path: ['user', 'bad'],
          extensions: { status: 404, message: 'no such user', reason: 'gone' },
        },
      ],
      data: { user: { get: { name: 'Ann' }, bad: null } },
    });
  });
});
