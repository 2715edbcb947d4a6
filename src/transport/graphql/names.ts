/**
 * GraphQL has one namespace for every named type, while protos have packages: two
 * messages called `User` in different packages, an endpoint `name`, a path wrapper and a
 * built-in scalar may all want the same name. The registry hands names out first come,
 * first served (endpoints in plan order, fields in declaration order), so the same
 * configuration always yields the same schema.
 */

const VALID = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Names graphql-js or this listener define itself. */
const RESERVED = [
  'Query',
  'Mutation',
  'Subscription',
  'String',
  'Int',
  'Float',
  'Boolean',
  'ID',
  'JSON',
  'Int64',
  'Bytes',
];

/** True for a name GraphQL accepts as a field, argument or type name. */
export function isGraphqlName(name: string): boolean {
  return VALID.test(name) && !name.startsWith('__');
}

/** Replaces what GraphQL names cannot hold (`shop.v1.User` → `shop_v1_User`). */
export function toGraphqlName(text: string): string {
  const cleaned = text.replace(/[^_0-9A-Za-z]/g, '_').replace(/^__+/, '_');
  return /^[0-9]/.test(cleaned) || cleaned === '' ? `_${cleaned}` : cleaned;
}

/** `user` → `User`, for the wrapper types of dotted paths. */
export function pascal(segment: string): string {
  return segment.charAt(0).toUpperCase() + segment.slice(1);
}

/** The last part of a full proto name: `shop.v1.User` → `User`. */
export function shortName(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? fullName : fullName.slice(dot + 1);
}

export class NameRegistry {
  /** Name → the key (message full name, wrapper path…) that owns it. */
  private readonly owners = new Map<string, string>();

  constructor() {
    for (const name of RESERVED) this.owners.set(name, `<builtin ${name}>`);
  }

  /**
   * A unique type name for `key`: the first free of the candidates (sanitised), else the
   * last candidate with `_2`, `_3`… appended. Asking again for the same key and candidate
   * gives the same name.
   */
  claim(key: string, ...candidates: string[]): string {
    const names = candidates.map(toGraphqlName);
    for (const name of names) {
      const owner = this.owners.get(name);
      if (owner === undefined) {
        this.owners.set(name, key);
        return name;
      }
      if (owner === key) return name;
    }
    const base = names[names.length - 1] ?? '_Type';
    for (let i = 2; ; i++) {
      const name = `${base}_${i}`;
      const owner = this.owners.get(name);
      if (owner === undefined || owner === key) {
        this.owners.set(name, key);
        return name;
      }
    }
  }
}
