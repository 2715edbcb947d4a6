/**
 * Codecs end to end, on one typed flow (proto/codecs.proto) served three ways — JSON
 * (the default), protobuf and form — plus a service that speaks form and Semaphore's
 * World Bank example, whose upstream answers XML. An int64 beyond 2^53 keeps every digit
 * from the client to the upstream and back.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS_PATH } from '../../src/schema/annotations.js';
import { INCLUDE } from '../fixtures/grpc/helpers.js';
import { daemon, FLOW_FIXTURES, postJson, send, sendJson, shared, upstream, type Upstream } from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'codecs.hcl')];
const BIG = '9007199254740993'; // 2^53 + 1: a double would make it ...992
const ANNOTATIONS = join(INCLUDE, ANNOTATIONS_PATH);

/** The fixture's types as a client of the protobuf endpoint would load them. */
function loadTypes(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) =>
    target === 'api/annotations.proto' ? ANNOTATIONS : protobuf.util.path.resolve(origin, target);
  return root.loadSync(join(FLOW_FIXTURES, 'proto', 'codecs.proto'), { keepCase: true });
}

const WORLD_BANK = `<?xml version="1.0" encoding="utf-8"?>
<wb:countries page="1" pages="1" per_page="50" total="2" xmlns:wb="http://www.worldbank.org">
  <wb:country id="ABW">
    <wb:iso2Code>AW</wb:iso2Code>
    <wb:name>Aruba</wb:name>
    <wb:region id="LCN" iso2code="ZJ">Latin America &amp; Caribbean </wb:region>
    <wb:capitalCity>Oranjestad</wb:capitalCity>
    <wb:longitude>-70.0167</wb:longitude>
    <wb:latitude>12.5167</wb:latitude>
  </wb:country>
  <wb:country id="NLD">
    <wb:iso2Code>NL</wb:iso2Code>
    <wb:name>Netherlands</wb:name>
    <wb:region id="ECS" iso2code="Z7">Europe &amp; Central Asia</wb:region>
    <wb:longitude>4.89095</wb:longitude>
    <wb:latitude>52.3738</wb:latitude>
  </wb:country>
</wb:countries>`;

/** Answers /book from the request it got: same id, quantity and tags as raw JSON text. */
async function ledger(): Promise<Upstream> {
  return upstream((_req, res, seen) => {
    if (seen.url === '/book') {
      // Echo the quantity's digits as written, so nothing in the test rounds them.
      const quantity = /"quantity":(-?\d+)/.exec(seen.body)?.[1] ?? '0';
      const { id, tags, express } = JSON.parse(seen.body) as { id: string; tags?: string[]; express?: boolean };
      const list = tags ? `"tags":${JSON.stringify(tags)},` : '';
      return sendJson(
        res,
        200,
        `{"id":${JSON.stringify(id)},"quantity":${quantity},"status":2,${list}"express":${express ?? false},"extra":"ignored"}`,
      );
    }
    if (seen.url === '/form') {
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end('accepted=yes');
      return;
    }
    sendJson(res, 404, { message: 'no route' });
  });
}

describe('flows: codecs', () => {
  let base: string;
  let books: Upstream;
  let worldBank: Upstream;
  let xml = WORLD_BANK;

  shared(async () => {
    books = await ledger();
    worldBank = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' }).end(xml);
    });
    ({ base } = await daemon(CONFIG, { UPSTREAM_LEDGER: books.url, UPSTREAM_WORLDBANK: worldBank.url }));
    return true;
  });

  it('json: an int64 beyond 2^53 keeps its digits into the upstream body and back out', async () => {
    const before = books.seen.length;
    const res = await postJson(
      `${base}/book`,
      `{"id":"o-1","quantity":${BIG},"tags":["a","b"],"address":{"street":"Main 1","city":"Lund"},"express":true,"unknown":1}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toContain(`"quantity":${BIG}`);
    expect(JSON.parse(res.text.replace(BIG, '"big"'))).toEqual({
      id: 'o-1',
      quantity: 'big',
      status: 'SHIPPED',
      tags: ['a', 'b'],
      city: 'Lund',
      express: true,
    });

    const [call] = books.seen.slice(before);
    expect(call!.headers['content-type']).toMatch(/^application\/json/);
    expect(call!.body).toContain(`"quantity":${BIG}`);
    expect(JSON.parse(call!.body.replace(BIG, '"big"'))).toEqual({
      id: 'o-1',
      quantity: 'big',
      tags: ['a', 'b'],
      address: { street: 'Main 1', city: 'Lund' },
      express: true,
    });
  });

  it('proto: decodes an application/x-protobuf request and answers protobuf', async () => {
    const root = loadTypes();
    const Order = root.lookupType('e2e.codec.Order');
    const Receipt = root.lookupType('e2e.codec.Receipt');
    const body = Order.encode(
      Order.fromObject({ id: 'o-2', quantity: BIG, tags: ['p'], address: { city: 'Malmö' }, express: true }),
    ).finish();

    const res = await send(`${base}/book.proto`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const receipt = Receipt.toObject(Receipt.decode(res.raw), { longs: String, enums: String });
    expect(receipt).toEqual({ id: 'o-2', quantity: BIG, status: 'SHIPPED', tags: ['p'], city: 'Malmö', express: true });
    expect(books.seen.at(-1)!.body).toContain(`"quantity":${BIG}`);
  });

  it('proto: a body that is not the message is a 400 with a JSON error body, and nothing is called', async () => {
    const before = books.seen.length;
    const res = await send(`${base}/book.proto`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0x7f, 0x41]),
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ status: 400, message: expect.stringContaining('protobuf') });
    expect(books.seen.length).toBe(before);
  });

  it('form: decodes an urlencoded request and answers urlencoded on a form endpoint', async () => {
    const res = await send(`${base}/book.form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=o-3&quantity=${BIG}&tags=a&tags=b%20c&address.city=Lund&express=true`,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const answer = new URLSearchParams(res.text);
    expect([...answer]).toEqual([
      ['id', 'o-3'],
      ['quantity', BIG],
      ['status', 'SHIPPED'],
      ['tags', 'a'],
      ['tags', 'b c'],
      ['city', 'Lund'],
      ['express', 'true'],
    ]);
  });

  it('form: a JSON endpoint decodes a form body by its Content-Type and answers JSON', async () => {
    const res = await send(`${base}/book`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=o-4&quantity=5',
    });
    expect(res.status).toBe(200);
    // city is absent upstream: written with its proto3 default, as Semaphore did.
    expect(res.json()).toEqual({ id: 'o-4', quantity: 5, status: 'SHIPPED', city: '', express: false });
  });

  it('form: a service with codec "form" gets an urlencoded body and its urlencoded answer is read', async () => {
    const res = await postJson(`${base}/submit`, { name: 'Ann Lee', tags: ['x', 'y'], city: 'Lund' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ accepted: 'yes' });
    const call = books.seen.at(-1)!;
    expect(call.url).toBe('/form');
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect([...new URLSearchParams(call.body)]).toEqual([
      ['name', 'Ann Lee'],
      ['tags', 'x'],
      ['tags', 'y'],
      ['address.city', 'Lund'],
    ]);
  });

  it('xml: reads the World Bank answer of a service with codec "xml"', async () => {
    xml = WORLD_BANK;
    const res = await send(`${base}/countries`);
    expect(res.status).toBe(200);
    const { countries } = res.json<{ countries: Array<Record<string, unknown>> }>();
    expect(countries).toHaveLength(2);
    expect(countries[0]).toMatchObject({ iso2Code: 'AW', name: 'Aruba', region: 'Latin America & Caribbean' });
    expect(countries[0]!.latitude).toBeCloseTo(12.5167, 4);
    expect(countries[0]!.longitude).toBeCloseTo(-70.0167, 4);
    expect(countries[1]).toMatchObject({ iso2Code: 'NL', name: 'Netherlands', region: 'Europe & Central Asia' });
    const call = worldBank.seen.at(-1)!;
    expect(call).toMatchObject({ method: 'GET', url: '/v2/country', body: '' });
    expect(call.headers.accept).toBe('application/xml');
  });

  it('xml: one element of a repeated field is a list of one', async () => {
    xml = '<countries><country><iso2Code>SE</iso2Code><name>Sweden</name></country></countries>';
    const res = await send(`${base}/countries`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ countries: [{ iso2Code: 'SE', name: 'Sweden' }] });
  });
});
