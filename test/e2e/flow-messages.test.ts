/**
 * Message-shaped bodies end to end: nested `message` blocks, `repeated` blocks over a
 * list (nested twice, reading the current element and the flow's input), whole objects
 * (`{{ r:. }}`), list and object literals, in requests and outputs, typed and untyped.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, daemon, postJson, sendJson, upstream } from './helpers.js';

const PROTO = `syntax = "proto3";
package order;
message Line { string sku = 1; int32 qty = 2; repeated string tags = 3; }
message Order { string customer = 1; repeated Line lines = 2; Address ship_to = 3; }
message Address { string street = 1; string city = 2; }
message Summary { string customer = 1; repeated Line lines = 2; Address ship_to = 3; int32 count = 4; }
`;

const FLOW = `
protobuffers = ["./order.proto"]

service "order" "Store" {
  transport = "http"
  codec     = "json"
  host      = "$STORE"

  method "Place" {
    request  = "order.Order"
    response = "order.Order"

    options {
      endpoint = "/orders"
      method   = "POST"
    }
  }

  method "Echo" {
    options {
      endpoint = "/echo"
      method   = "POST"
    }
  }
}

endpoint "place" "http" {
  endpoint = "/place"
  method   = "POST"
}

flow "place" {
  input "order.Order" {}

  resource "placed" {
    request "order.Store" "Place" {
      customer = "{{ input:customer }}"

      message "ship_to" {
        street = "{{ input:ship_to.street }}"
        city   = "{{ upper(input:ship_to.city) }}"
      }

      repeated "lines" "input:lines" {
        sku  = "{{ input:lines.sku }}"
        qty  = "{{ input:lines.qty }}"
        tags = "{{ input:lines.tags }}"
      }
    }
  }

  resource "untyped" {
    request "order.Store" "Echo" {
      whole  = "{{ placed:. }}"
      list   = ["a", "{{ input:customer }}", 3]
      object = { "nested": { "who": "{{ input:customer }}" }, "n": 1 }

      repeated "items" "{{ placed:lines }}" {
        label = "{{ placed:lines.sku }} for {{ input:customer }}"
      }
    }
  }

  output "order.Summary" {
    customer = "{{ placed:customer }}"
    ship_to  = "{{ placed:ship_to }}"

    repeated "lines" "placed:lines" {
      sku = "{{ placed:lines.sku }}"
      qty = "{{ placed:lines.qty }}"
    }
  }
}
`;

describe('flows: nested messages and repeated blocks', () => {
  it('builds nested and repeated request bodies and maps them back out', async () => {
    const store = await upstream((_req, res, seen) => {
      const body = JSON.parse(seen.body) as Record<string, unknown>;
      sendJson(res, 200, seen.url === '/orders' ? body : { ok: true });
    });
    const dir = configDir({ 'order.proto': PROTO, 'flow.hcl': FLOW });
    const { base } = await daemon([join(dir, 'flow.hcl')], { STORE: store.url }, dir);

    const order = {
      customer: 'ann',
      ship_to: { street: 'Main 1', city: 'Utrecht' },
      lines: [
        { sku: 'L1', qty: 2, tags: ['red'] },
        { sku: 'C2', qty: 1, tags: [] },
      ],
      ignored: 'unknown input fields are dropped',
    };
    const answer = await postJson(`${base}/place`, order);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      customer: 'ann',
      ship_to: { street: 'Main 1', city: 'UTRECHT' },
      lines: [
        { sku: 'L1', qty: 2 },
        { sku: 'C2', qty: 1 },
      ],
    });

    const [placed, echo] = store.seen;
    expect(placed!.url).toBe('/orders');
    expect(JSON.parse(placed!.body)).toEqual({
      customer: 'ann',
      ship_to: { street: 'Main 1', city: 'UTRECHT' },
      lines: [
        { sku: 'L1', qty: 2, tags: ['red'] },
        { sku: 'C2', qty: 1, tags: [] },
      ],
    });
    expect(echo!.url).toBe('/echo');
    expect(JSON.parse(echo!.body)).toEqual({
      whole: JSON.parse(placed!.body),
      list: ['a', 'ann', 3],
      object: { nested: { who: 'ann' }, n: 1 },
      items: [{ label: 'L1 for ann' }, { label: 'C2 for ann' }],
    });
  });
});
