/**
 * Names no protocol knows: a warning with file:line and the closest known name where
 * Semaphore accepted anything (endpoint members, `options { }`), an error where it refused
 * (a resource, a flow…). The names of DESIGN §9 are in the one table, so no branch that
 * implements them is flagged by these checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ENDPOINT_ATTRIBUTES, ENDPOINT_BLOCKS, KNOWN } from '../../src/config/known.js';
import { load, removeTrees, tree } from '../fixtures/config/helpers.js';

afterAll(removeTrees);

async function diagnosticsOf(text: string): Promise<{ errors: string[]; warnings: string[] }> {
  const dir = tree({ 'main.hcl': text });
  const { errors, warnings } = await load(['main.hcl'], dir);
  const strip = (l: string): string => l.slice(dir.length + 1);
  return { errors: errors.map(strip), warnings: warnings.map(strip) };
}

describe('unknown names', () => {
  it('warns about an endpoint attribute no protocol knows, with the closest name', async () => {
    const { errors, warnings } = await diagnosticsOf('endpoint "f" "http" {\n  endpoint = "/x"\n  methd = "POST"\n}\n');
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'main.hcl:3: warning: unknown attribute "methd" in endpoint "f" "http" is ignored — did you mean "method"?',
    ]);
  });

  it('warns about an endpoint block nobody reads, and about an attribute only another protocol reads', async () => {
    const { errors, warnings } = await diagnosticsOf(
      'endpoint "f" "graphql" {\n  path = "f"\n  method = "GET"\n  bogus {\n  }\n}\n',
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'main.hcl:3: warning: attribute "method" in endpoint "f" "graphql" is ignored: only http and grpc endpoints read it',
      'main.hcl:4: warning: unknown block "bogus" in endpoint "f" "graphql" is ignored',
    ]);
  });

  it('warns about method and call options nothing reads', async () => {
    const text = [
      'service "s" "S" {',
      '  host = "http://127.0.0.1:1"',
      '  method "M" {',
      '    options {',
      '      timeut = "2s"',
      '    }',
      '  }',
      '}',
      'flow "f" {',
      '  resource "r" {',
      '    request "s.S" "M" {',
      '      options {',
      '        retries = 3',
      '      }',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const { errors, warnings } = await diagnosticsOf(text);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'main.hcl:5: warning: unknown option "timeut" in options of method "M" of service "s.S" is ignored — did you mean "timeout"?',
      'main.hcl:13: warning: unknown option "retries" in options of request "s.S" "M" of resource "r" of flow "f" is ignored',
    ]);
  });

  it('is an error, with the closest name, where Semaphore refused the name too', async () => {
    const { errors } = await diagnosticsOf('flow "f" {\n  resource "r" {\n    depend_on = ["x"]\n  }\n}\n');
    expect(errors).toEqual([
      'main.hcl:3: unknown attribute "depend_on" in resource "r" of flow "f" — did you mean "depends_on"?',
    ]);
  });

  it('does not warn about the names DESIGN §9 adds', async () => {
    const text = [
      'endpoint "f" "http" {',
      '  endpoint = "/x"',
      '  rate_limit {',
      '    requests = 1',
      '  }',
      '}',
      'service "s" "S" {',
      '  host = "http://127.0.0.1:1"',
      '  method "M" {',
      '    options {',
      '      timeout = "2s"',
      '      max_response_size = "1MB"',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const { warnings } = await diagnosticsOf(text);
    expect(warnings.filter((w) => w.includes('unknown'))).toEqual([]);
  });

  it('the one table lists every name of DESIGN §9 in its place', () => {
    const has = (place: keyof typeof KNOWN, ...list: string[]): void => {
      const known = [...KNOWN[place].attributes, ...KNOWN[place].blocks];
      for (const name of list) expect(known, `${place}: ${name}`).toContain(name);
    };
    has('top', 'journal', 'admin', 'telemetry', 'log', 'rate_limit_store', 'openapi3', 'avro', 'discovery');
    has('journal', 'path', 'postgres');
    has('telemetry', 'otlp');
    has('log', 'redact');
    has('service', 'timeout', 'max_response_size', 'retry', 'breaker', 'resolver');
    has('retry', 'attempts', 'backoff', 'max_backoff');
    has('breaker', 'failures', 'cool_down');
    has('rate_limit_store', 'redis');
    has('rate_limit', 'requests', 'every', 'key');
    has('flow', 'timeout');
    has('resource', 'for_each', 'max_concurrency', 'cache');
    has('cache', 'ttl');
    expect(ENDPOINT_BLOCKS).toContain('rate_limit');
    expect(ENDPOINT_ATTRIBUTES.http).toEqual(expect.arrayContaining(['endpoint', 'method', 'codec', 'status']));
  });
});
