/**
 * How values become text in templates ("Hello {{ input:name }}"), sprintf's %s/%v and
 * json_encode. The implementation is shared by every layer: src/shared/values.ts.
 */
export { encodeBase64 as bytesToBase64, jsonText, renderText } from '../shared/values.js';
