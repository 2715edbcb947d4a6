/**
 * How an OpenAPI document becomes types and a service: the service's name and host, each
 * operation's method, path and types, and the field types of the schemas.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DOCUMENT = `openapi: 3.0.3
info:
  title: Inventory service
  version: "1"
servers:
  - url: "http://{host}:{port}/v1"
    variables:
      host:
        default: stock.internal
      port:
        default: "8080"
paths:
  /items/{sku}:
    put:
      operationId: putItem
      parameters:
        - { name: sku, in: path, required: true, schema: { type: string } }
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Item"
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  saved:
                    type: boolean
  /health:
    get:
      responses:
        default:
          description: ok
  /items:
    post:
      operationId: addItem
      requestBody:
        $ref: "#/components/requestBodies/NewItem"
      responses:
        "201":
          $ref: "#/components/responses/Saved"
components:
  requestBodies:
    NewItem:
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Item"
  responses:
    Saved:
      description: saved
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Item"

  schemas:
    Item:
      type: object
      properties:
        sku: { type: string }
        count: { type: integer, format: int32 }
        price: { type: number }
        blob: { type: string, format: byte }
        labels:
          type: object
          additionalProperties: { type: string }
        where:
          type: object
          properties:
            shelf: { type: string }
        state: { $ref: "#/components/schemas/State" }
    State:
      type: string
      enum: [NEW, OLD]
`;

describe('OpenAPI documents as schemas', () => {
  it('names the service from the title, takes the host from servers and methods from operations', async () => {
    writeFileSync(join(dir, 'api.yaml'), DOCUMENT);
    writeFileSync(join(dir, 'main.hcl'), 'openapi3 = ["./api.yaml"]\n');
    const { plan, diagnostics } = await loadPlan({ config: [join(dir, 'main.hcl')], env: {} });
    expect(diagnostics.items.map(formatDiagnostic)).toEqual([]);
    const service = plan!.services.get('InventoryService')!;
    expect(service.host).toBe('http://stock.internal:8080/v1');
    const put = service.methods.get('putItem')!;
    expect(put).toMatchObject({ httpMethod: 'PUT', httpPath: '/items/:sku' });
    expect(put.requestType!.fullName).toBe('Item');
    expect(put.responseType!.fullName).toBe('InventoryService.putItemResponse');
    const add = service.methods.get('addItem')!;
    expect([add.httpMethod, add.requestType?.fullName, add.responseType?.fullName]).toEqual(['POST', 'Item', 'Item']);
    expect(service.methods.get('getHealth')).toMatchObject({
      httpMethod: 'GET',
      httpPath: '/health',
      requestType: undefined,
      responseType: undefined,
    });

    const item = plan!.schemas.messages.get('Item')!;
    const kinds = Object.fromEntries(
      item.fieldList.map((f) => [
        f.name,
        f.kind === 'scalar' ? f.scalar : f.kind === 'message' ? f.message!.fullName : f.kind,
      ]),
    );
    expect(kinds).toEqual({
      sku: 'string',
      count: 'int32',
      price: 'double',
      blob: 'bytes',
      labels: 'map',
      where: 'Item.Where',
      state: 'string',
    });
  });
});

describe('OpenAPI rule errors', () => {
  it('place an error named by a slash path at the line of that path', async () => {
    const broken = DOCUMENT.replace(/ {6}parameters:\n.*\n/, ''); // {sku} has no parameter left
    writeFileSync(join(dir, 'rule.yaml'), broken);
    writeFileSync(join(dir, 'rule.hcl'), 'openapi3 = ["./rule.yaml"]\n');
    const { diagnostics } = await loadPlan({ config: [join(dir, 'rule.hcl')], env: {} });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([
      `${join(dir, 'rule.yaml')}:14: invalid OpenAPI document: \`/paths/items/{sku}/put\` is missing path parameter(s) for \`{sku}\`.`,
    ]);
  });
});
