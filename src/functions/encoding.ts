/** Encodings: base64_encode, base64_decode, json_encode, json_decode. */
import { encodeBase64 as bytesToBase64, jsonText, renderText } from '../shared/values.js';
import { parseJson } from '../codec/json.js';
import { LimitError } from '../codec/limits.js';
import { FunctionError, type TemplateFunction } from './function.js';

/** Standard or URL-safe alphabet, padding optional; Buffer.from alone skips bad characters silently. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export const base64Encode: TemplateFunction = {
  name: 'base64_encode',
  minArgs: 1,
  maxArgs: 1,
  returns: 'string',
  invoke(args) {
    const value = args[0];
    if (value instanceof Uint8Array) return bytesToBase64(value);
    return Buffer.from(renderText(value), 'utf8').toString('base64');
  },
};

export const base64Decode: TemplateFunction = {
  name: 'base64_decode',
  minArgs: 1,
  maxArgs: 1,
  returns: 'string',
  invoke(args) {
    const value = args[0];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw new FunctionError('base64_decode: expected a string', 400);
    const text = value.trim();
    if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
      throw new FunctionError('base64_decode: invalid base64', 400);
    }
    return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64').toString('utf8');
  },
};

export const jsonEncode: TemplateFunction = {
  name: 'json_encode',
  minArgs: 1,
  maxArgs: 1,
  returns: 'string',
  invoke: (args) => jsonText(args[0]),
};

export const jsonDecode: TemplateFunction = {
  name: 'json_decode',
  minArgs: 1,
  maxArgs: 1,
  returns: 'dynamic',
  invoke(args) {
    const value = args[0];
    if (value === undefined || value === null) return null;
    const text = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
    if (typeof text !== 'string') throw new FunctionError('json_decode: expected a string', 400);
    try {
      // The codec's parser: bounded nesting (a deep text once answered 500) and exact int64.
      return parseJson(text);
    } catch (error) {
      if (error instanceof LimitError) throw new FunctionError(`json_decode: ${error.message}`, 400, { cause: error });
      throw new FunctionError('json_decode: invalid JSON', 400, { cause: error });
    }
  },
};

export const encodingFunctions: TemplateFunction[] = [base64Encode, base64Decode, jsonEncode, jsonDecode];
