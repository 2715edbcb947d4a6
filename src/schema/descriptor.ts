/**
 * Builds protobufjs JSON descriptors for message types that come from schema formats other
 * than .proto (OpenAPI, Avro), with the position of each declaration, so the loader merges
 * them into the one Root like any parsed file and every later stage sees ordinary types.
 */
import type protobuf from 'protobufjs';
import type { Pos } from '../spec/types.js';

export interface DescriptorField {
  name: string;
  /** A scalar name, or a fully qualified type name with a leading dot. */
  type: string;
  repeated?: boolean;
  /** Set for maps: the key scalar. */
  keyType?: string;
}

/** Types converted from one schema file. */
export interface ConvertedFile {
  file: string;
  json: protobuf.INamespace;
  /** Declaration positions by full name (no leading dot). */
  names: Map<string, Pos>;
}

type Node = { nested?: Record<string, Node>; fields?: Record<string, unknown>; values?: Record<string, number> };

export class DescriptorBuilder {
  private readonly root: Node = {};
  readonly names = new Map<string, Pos>();

  constructor(readonly file: string) {}

  has(fullName: string): boolean {
    return this.names.has(fullName);
  }

  addMessage(fullName: string, fields: DescriptorField[], pos: Pos): void {
    const node = this.node(fullName);
    node.fields = {};
    fields.forEach((field, index) => {
      const entry: Record<string, unknown> = { type: field.type, id: index + 1 };
      if (field.repeated) entry.rule = 'repeated';
      if (field.keyType) entry.keyType = field.keyType;
      node.fields![field.name] = entry;
    });
    this.names.set(fullName, pos);
  }

  addEnum(fullName: string, symbols: string[], pos: Pos): void {
    const node = this.node(fullName);
    node.values = Object.fromEntries(symbols.map((symbol, index) => [symbol, index]));
    this.names.set(fullName, pos);
  }

  result(): ConvertedFile {
    return { file: this.file, json: this.root as protobuf.INamespace, names: this.names };
  }

  private node(fullName: string): Node {
    let node = this.root;
    for (const part of fullName.split('.')) {
      node.nested ??= {};
      node = node.nested[part] ??= {};
    }
    return node;
  }
}

/** `user id` / `user-id` → `UserId`: a name usable as a proto identifier. */
export function pascalIdentifier(text: string): string {
  const out = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^[A-Za-z]/.test(out) ? out : `T${out}`;
}

/** A name with anything but letters, digits, `_` and `.` replaced by `_`. */
export function safeTypeName(text: string): string {
  const out = text.replace(/[^A-Za-z0-9_.]/g, '_');
  return /^[A-Za-z_]/.test(out) ? out : `_${out}`;
}
