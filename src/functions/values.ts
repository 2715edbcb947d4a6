/** Value helpers a gateway needs: len, default, now, uuid. */
import { randomUUID } from 'node:crypto';
import { FunctionError, type TemplateFunction } from './function.js';

/** Characters of a string (code points), items of an array, bytes, or keys of an object; null → 0. */
export const len: TemplateFunction = {
  name: 'len',
  minArgs: 1,
  maxArgs: 1,
  returns: 'number',
  invoke(args) {
    const value = args[0];
    if (value === undefined || value === null) return 0;
    if (typeof value === 'string') {
      let n = 0;
      for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0xdc00 || code > 0xdfff) n++; // a low surrogate continues the previous character
      }
      return n;
    }
    if (Array.isArray(value)) return value.length;
    if (value instanceof Uint8Array) return value.byteLength;
    if (typeof value === 'object') return Object.keys(value).length;
    throw new FunctionError(`len: expected a string, list or object, got ${typeof value}`, 400);
  },
};

/** `default(a, b)`: a, unless it is absent, null or '' — then b. */
export const defaultValue: TemplateFunction = {
  name: 'default',
  minArgs: 2,
  maxArgs: 2,
  returns: 'dynamic',
  invoke(args) {
    const value = args[0];
    return value === undefined || value === null || value === '' ? args[1] : value;
  },
};

/** `now()` → RFC 3339 time; `now('unix')` → seconds; `now('unix_ms')` → milliseconds. */
export const now: TemplateFunction = {
  name: 'now',
  minArgs: 0,
  maxArgs: 1,
  returns: 'dynamic',
  invoke: (args) => clock(args[0])(),
  specialize(constants) {
    const format = constants[0];
    if (constants.length > 0 && format === undefined) return undefined;
    const read = clock(format?.value);
    return () => read();
  },
};

function clock(format: unknown): () => string | number {
  switch (format) {
    case undefined:
    case null:
    case 'rfc3339':
      return () => new Date().toISOString();
    case 'unix':
      return () => Math.floor(Date.now() / 1000);
    case 'unix_ms':
      return () => Date.now();
    default:
      return () => {
        throw new FunctionError("now: format must be 'rfc3339', 'unix' or 'unix_ms'", 400);
      };
  }
}

export const uuid: TemplateFunction = {
  name: 'uuid',
  minArgs: 0,
  maxArgs: 0,
  returns: 'string',
  invoke: () => randomUUID(),
};

export const valueFunctions: TemplateFunction[] = [len, defaultValue, now, uuid];
