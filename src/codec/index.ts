/**
 * The codec registry, keyed by the names configurations use (`codec = "json"`), and the
 * lookup by Content-Type for request bodies.
 */
import type { Codec } from './codec.js';
import { FormCodec } from './form.js';
import { JsonCodec } from './json.js';
import { ProtobufCodec } from './proto.js';
import { XmlCodec } from './xml.js';

export type { Codec } from './codec.js';
export { CodecError } from './codec.js';
export { FormCodec, parseForm } from './form.js';
export { JsonCodec, parseJson, stringifyJson } from './json.js';
export { ProtobufCodec } from './proto.js';
export { XmlCodec, parseXml } from './xml.js';
export { normalize, type NormalizeMode } from './typed.js';

const json = new JsonCodec();
const proto = new ProtobufCodec();
const form = new FormCodec();
const xml = new XmlCodec();

/** Codecs by name: json, proto, form (alias form-urlencoded), xml. Codecs are stateless and shared. */
export const codecs: ReadonlyMap<string, Codec> = new Map<string, Codec>([
  ['json', json],
  ['proto', proto],
  ['form', form],
  // Semaphore's name for the same codec.
  ['form-urlencoded', form],
  ['xml', xml],
]);

const byMediaType = new Map<string, Codec>([
  ['application/json', json],
  ['application/x-protobuf', proto],
  ['application/protobuf', proto],
  ['application/x-www-form-urlencoded', form],
  ['application/xml', xml],
  ['text/xml', xml],
]);

/**
 * The codec for a Content-Type header (`application/json; charset=utf-8` → json), or
 * undefined. Parameters and case are ignored; `+json` and `+xml` suffixes
 * (`application/problem+json`) map to json and xml.
 */
export function codecForContentType(contentType: string | undefined): Codec | undefined {
  if (!contentType) return undefined;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const codec = byMediaType.get(mediaType);
  if (codec) return codec;
  if (mediaType.endsWith('+json')) return json;
  if (mediaType.endsWith('+xml')) return xml;
  return undefined;
}
