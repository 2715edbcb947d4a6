import { beforeAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/codec/codec.js';
import { FormCodec, XmlCodec } from '../../src/codec/index.js';
import type { MessageType } from '../../src/schema/types.js';
import { catchError, messageType, utf8 } from '../fixtures/schema/codec-suite.js';

const form = new FormCodec();
const xml = new XmlCodec();
let Person: MessageType;
let Countries: MessageType;

beforeAll(async () => {
  Person = await messageType('Person');
  Countries = await messageType('Countries');
});

describe('FormCodec', () => {
  it('coerces strings to the field types', () => {
    const body =
      'name=Ann+Lee&age=42&active=true&status=BANNED&tags=a&tags=b%26c&address.street=Main%201' +
      '&items[0].sku=A&items[0].quantity=2&items[1].sku=B&big=9007199254740993&counts.x=3&score=1.5&history[]=1&unknown=1';
    expect(form.decode(utf8(body), Person)).toEqual({
      name: 'Ann Lee',
      age: 42,
      big: 9007199254740993n,
      score: 1.5,
      active: true,
      status: 'BANNED',
      address: { street: 'Main 1' },
      items: [{ sku: 'A', quantity: 2 }, { sku: 'B' }],
      tags: ['a', 'b&c'],
      counts: { x: 3 },
      history: ['ACTIVE'],
    });
  });

  it('names an ill-typed field', () => {
    const error = catchError(() => form.decode(utf8('age=old'), Person));
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({ field: 'age', message: 'field "age": expected int32, got string "old"' });
    expect(catchError(() => form.decode(utf8('address.city=x&items[0].quantity=-1'), Person))).toMatchObject({
      field: 'items[0].quantity',
    });
  });

  it('treats an empty value as absent for non-strings', () => {
    expect(form.decode(utf8('age=&name=&active'), Person)).toEqual({ name: '' });
  });

  it('decodes untyped bodies into strings, lists and objects', () => {
    expect(form.decode(utf8('a=1&a=2&b.c=x&d[]=y&e'))).toEqual({ a: ['1', '2'], b: { c: 'x' }, d: ['y'], e: '' });
  });

  it('does not let a key reach a prototype', () => {
    const decoded = form.decode(utf8('__proto__.polluted=1&constructor.prototype.polluted=2'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(decoded).toEqual({ ['__proto__']: { polluted: '1' }, constructor: { prototype: { polluted: '2' } } });
  });

  it('refuses conflicting and malformed keys', () => {
    expect(() => form.decode(utf8('a=1&a.b=2'))).toThrow(CodecError);
    expect(() => form.decode(utf8('a[99999999]=1'))).toThrow('index too large');
    expect(() => form.decode(utf8('a=%zz'))).toThrow('malformed form body: invalid percent-encoding in "%zz"');
  });

  it('encodes flat and dotted keys', () => {
    expect(
      form.encode(
        {
          name: 'A B',
          address: { city: 'x' },
          items: [{ sku: 'a' }],
          tags: ['t', 'u'],
          status: 1,
          big: 9007199254740993n,
        },
        Person,
      ),
    ).toBe('name=A%20B&big=9007199254740993&status=ACTIVE&address.city=x&items%5B0%5D.sku=a&tags=t&tags=u');
  });
});

const worldBank = `<?xml version="1.0" encoding="utf-8"?>
<wb:countries page="1" pages="6" per_page="50" total="296" xmlns:wb="http://www.worldbank.org">
  <wb:country id="ABW">
    <wb:iso2Code>AW</wb:iso2Code>
    <wb:name>Aruba</wb:name>
    <wb:region id="LCN" iso2code="ZJ">Latin America &amp; Caribbean </wb:region>
    <wb:latitude>12.5167</wb:latitude>
    <wb:longitude>-70.0167</wb:longitude>
  </wb:country>
  <wb:country id="AFE">
    <wb:iso2Code>ZH</wb:iso2Code>
    <wb:name>Africa Eastern and Southern</wb:name>
    <wb:region id="NA" iso2code="NA">Aggregates</wb:region>
    <wb:latitude></wb:latitude>
    <wb:longitude />
  </wb:country>
</wb:countries>`;

describe('XmlCodec', () => {
  it('decodes the World Bank shape with coercion', () => {
    expect(xml.decode(utf8(worldBank), Countries)).toEqual({
      country: [
        { iso2Code: 'AW', name: 'Aruba', region: 'Latin America & Caribbean', latitude: 12.5167, longitude: -70.0167 },
        { iso2Code: 'ZH', name: 'Africa Eastern and Southern', region: 'Aggregates' },
      ],
    });
  });

  it('makes a single repeated element a list when typed', () => {
    const body = '<Countries><country><name>Aruba</name></country></Countries>';
    expect(xml.decode(utf8(body), Countries)).toEqual({ country: [{ name: 'Aruba' }] });
    expect(xml.decode(utf8(body))).toEqual({ country: { name: 'Aruba' } });
  });

  it('names an ill-typed field', () => {
    const error = catchError(() =>
      xml.decode(utf8('<Person><items><sku>a</sku></items><items><quantity>many</quantity></items></Person>'), Person),
    );
    expect(error).toMatchObject({
      field: 'items[1].quantity',
      message: 'field "items[1].quantity": expected uint32, got string "many"',
    });
  });

  it('reads maps written as elements or as entries', () => {
    expect(
      xml.decode(
        utf8('<Person><counts><a>1</a><b>2</b></counts><labels><key>-5</key><value>x</value></labels></Person>'),
        Person,
      ),
    ).toEqual({
      counts: { a: 1, b: 2 },
      labels: { '-5': 'x' },
    });
  });

  it('refuses a malformed document', () => {
    expect(() => xml.decode(utf8('<a><b></a>'))).toThrow(/^malformed XML: Expected closing tag 'b'/);
    expect(() => xml.decode(utf8('<a/><b/>'))).toThrow(CodecError);
  });

  it('encodes a root element named after the message', () => {
    expect(xml.encode({ name: 'A & B', status: 2, tags: ['x', 'y'], address: { city: 'c' } }, Person)).toBe(
      '<Person><name>A &amp; B</name><status>BANNED</status><address><city>c</city></address><tags>x</tags><tags>y</tags></Person>',
    );
    expect(xml.encode({ a: 'b' })).toBe('<root><a>b</a></root>');
  });
});
