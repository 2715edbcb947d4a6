import { describe, expect, it } from 'vitest';
import { codecForContentType, codecs, FormCodec, JsonCodec, ProtobufCodec, XmlCodec } from '../../src/codec/index.js';
import { runCodecSuite } from '../fixtures/schema/codec-suite.js';

runCodecSuite({ name: 'json', create: () => new JsonCodec(), malformed: '{"name": "x",}' });
runCodecSuite({
  name: 'proto',
  create: () => new ProtobufCodec(),
  malformed: new Uint8Array([0x0a, 0xff, 0xff]),
  typedOnly: true,
});
runCodecSuite({ name: 'form', create: () => new FormCodec(), malformed: 'name=%E0%A4%A' });
runCodecSuite({ name: 'xml', create: () => new XmlCodec(), malformed: '<Person><name>x</Person>' });

describe('codecForContentType', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/JSON', 'json'],
    ['application/problem+json', 'json'],
    ['application/x-protobuf', 'proto'],
    ['application/protobuf', 'proto'],
    ['application/x-www-form-urlencoded;charset=UTF-8', 'form'],
    ['application/xml', 'xml'],
    ['text/xml; charset=iso-8859-1', 'xml'],
  ])('%s → %s', (contentType, name) => {
    expect(codecForContentType(contentType)).toBe(codecs.get(name));
  });

  it('knows nothing of other types', () => {
    expect(codecForContentType(undefined)).toBeUndefined();
    expect(codecForContentType('text/plain')).toBeUndefined();
    expect(codecForContentType('')).toBeUndefined();
  });
});
