/**
 * XML through fast-xml-parser. A document decodes to its root element's children:
 * `<countries><country>…</country><country>…</country></countries>` →
 * `{ country: [{…}, {…}] }` (the World Bank shape Semaphore's example reads).
 *
 * Choices: attributes are ignored (Semaphore's codec read elements only) and namespace
 * prefixes dropped (`wb:name` → `name`); leaves stay strings until a type converts
 * them, so `00123` is not turned into 123; an element that occurs once is a list of one
 * only when the type says the field is repeated; an empty element is an absent
 * number/bool/enum, an empty string, an empty message. Text beside child elements is
 * kept under `#text`.
 *
 * Encoding writes a root element named after the message (`User` for `shop.User`,
 * `root` untyped) with one child element per field, repeated fields repeating it, and
 * maps as their proto entries (`<labels><key>k</key><value>v</value></labels>`, since
 * keys are often not valid element names); decoding accepts that form and plain
 * `<labels><k>v</k></labels>`.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { MessageType } from '../schema/types.js';
import { CodecError, type Codec } from './codec.js';
import { DEFAULT_LIMITS, LimitError, type DecodeLimits } from './limits.js';
import { describeValue } from './scalars.js';
import { DECODE_TEXT, ENCODE_JSON, normalize } from './typed.js';
import { bodyText, isBlank, isPlainObject } from './values.js';

const PARSER_OPTIONS = {
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

/**
 * One parser per depth limit (a listener has one; the default is shared): the parser
 * counts open elements itself and stops past `maxNestedTags`. The root element does not
 * count, as it is not part of the decoded value. Entities declared in a
 * DOCTYPE are bounded by the parser's own entity limits.
 */
const parsers = new Map<number, XMLParser>();

function parserFor(maxDepth: number): XMLParser {
  let parser = parsers.get(maxDepth);
  if (!parser) {
    parser = new XMLParser({ ...PARSER_OPTIONS, maxNestedTags: maxDepth });
    parsers.set(maxDepth, parser);
  }
  return parser;
}
const NESTED = /nested tags/i;

const builder = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false });

/** The root element name used for `type` (its last name segment). */
const rootNames = new WeakMap<MessageType, string>();

function rootName(type: MessageType | undefined): string {
  if (!type) return 'root';
  let name = rootNames.get(type);
  if (name === undefined) {
    name = type.fullName.slice(type.fullName.lastIndexOf('.') + 1);
    rootNames.set(type, name);
  }
  return name;
}

/** Parses an XML document into its root element's content. Throws CodecError (LimitError past `maxDepth`). */
export function parseXml(text: string, maxDepth: number = DEFAULT_LIMITS.maxDepth): Record<string, unknown> {
  let document: Record<string, unknown>;
  try {
    // `true` validates first: without it an unclosed tag decodes silently.
    document = parserFor(maxDepth).parse(text, true) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message;
    if (NESTED.test(message))
      throw new LimitError('maxDepth', maxDepth, `malformed XML: elements nested more than ${maxDepth} levels deep`);
    throw new CodecError(`malformed XML: ${message}`, undefined, { cause: error });
  }
  let root: unknown;
  let roots = 0;
  for (const key in document) {
    root = document[key];
    roots++;
  }
  if (roots === 0) throw new CodecError('malformed XML: no root element');
  // The validator misses `<a/><b/>`.
  if (roots > 1) throw new CodecError('malformed XML: more than one root element');
  if (isPlainObject(root)) return root;
  if (Array.isArray(root)) throw new CodecError('malformed XML: more than one root element');
  return root === '' ? {} : { '#text': root };
}

const typesWithMaps = new WeakMap<MessageType, boolean>();

/** Whether a message holds a map field anywhere below it (most do not: skip the walk). */
function holdsMaps(type: MessageType, seen?: Set<MessageType>): boolean {
  const known = typesWithMaps.get(type);
  if (known !== undefined) return known;
  const visited = seen ?? new Set<MessageType>();
  if (visited.has(type)) return false;
  visited.add(type);
  let result = false;
  for (const field of type.fieldList) {
    if (field.kind === 'map' || (field.message !== undefined && holdsMaps(field.message, visited))) result = true;
  }
  // Only a top-level answer is final: inside a cycle a type answers false provisionally.
  if (seen === undefined) typesWithMaps.set(type, result);
  return result;
}

/**
 * Writes maps as their proto entries, `<labels><key>-5</key><value>x</value></labels>`:
 * map keys are often not valid element names. Mutates `value`, a fresh normalize() result.
 */
function mapsToEntries(value: Record<string, unknown>, type: MessageType): Record<string, unknown> {
  for (const field of type.fieldList) {
    const inner = value[field.name];
    if (inner === undefined) continue;
    if (field.kind === 'map') {
      const map = inner as Record<string, unknown>;
      const entries: unknown[] = [];
      for (const key of Object.keys(map)) {
        entries.push({
          key,
          value: field.message ? mapsToEntries(map[key] as Record<string, unknown>, field.message) : map[key],
        });
      }
      value[field.name] = entries;
    } else if (field.message && holdsMaps(field.message)) {
      if (!field.repeated) mapsToEntries(inner as Record<string, unknown>, field.message);
      else for (const item of inner as Record<string, unknown>[]) mapsToEntries(item, field.message);
    }
  }
  return value;
}

export class XmlCodec implements Codec {
  readonly name = 'xml';
  readonly contentType = 'application/xml';

  decode(body: Uint8Array, type?: MessageType, limits?: DecodeLimits): Record<string, unknown> {
    const text = bodyText(body);
    if (isBlank(text)) return {};
    const content = parseXml(text, limits?.maxDepth);
    return type ? normalize(content, type, DECODE_TEXT) : content;
  }

  encode(value: unknown, type?: MessageType): string {
    // ENCODE_JSON gives text-friendly leaves: bytes as base64, enums by name.
    let content = type ? normalize(value, type, ENCODE_JSON) : value;
    if (type && holdsMaps(type)) content = mapsToEntries(content as Record<string, unknown>, type);
    if (!isPlainObject(content))
      throw new CodecError(`the xml codec encodes objects only, got ${describeValue(content)}`);
    return builder.build({ [rootName(type)]: content }) as string;
  }
}
