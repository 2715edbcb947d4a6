/**
 * What the traffic-validate tests share: a service and a flow to attach blocks to, and
 * `check(text)`, which runs the same front half as `maestro validate` and gives the
 * `file:line: ` of the first line containing a marker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

export const dir = mkdtempSync(join(tmpdir(), 'maestro-traffic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
export const CLI = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));

export const SERVICE = `service "shop" "Items" {
  transport = "http"
  host      = "http://127.0.0.1:9"

  method "Get" {
    options {
      endpoint = "/items/:id"
      method   = "GET"
    }
  }

  method "Put" {
    options {
      endpoint = "/items/:id"
      method   = "PUT"
    }
  }
}
`;

export function flow(resourceExtra = '', flowName = 'item'): string {
  return `
flow "${flowName}" {
  input {}

  resource "item" {
    request "shop.Items" "Get" {
      params {
        id = "{{ input:id }}"
      }
    }
    ${resourceExtra}
  }

  output {
    name = "{{ item:name }}"
  }
}
`;
}

export const ENDPOINT = (block: string) => `
endpoint "item" "http" {
  endpoint = "/items/:id"
  method   = "GET"

  ${block}
}
`;

let counter = 0;
/** Loads `text`; `at(marker)` is `file:line` of the first line containing marker. */
export async function check(text: string) {
  const file = join(dir, `case${counter++}.hcl`);
  writeFileSync(file, text);
  const { plan, diagnostics } = await loadPlan({ config: [file], env: {} });
  const lines = text.split('\n');
  const at = (marker: string): string => {
    const index = lines.findIndex((l) => l.includes(marker));
    if (index < 0) throw new Error(`no line contains ${marker}`);
    return `${file}:${index + 1}: `;
  };
  return {
    plan,
    errors: diagnostics.errors.map(formatDiagnostic),
    warnings: diagnostics.warnings.map(formatDiagnostic),
    at,
    file,
  };
}
