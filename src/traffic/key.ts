/**
 * A key template's value as text: rate-limit buckets and cache entries are named by it.
 * Absent values are '' (one bucket for every request without the value); objects are
 * their exact JSON, so two equal objects name the same entry.
 */
import { jsonText } from '../template/index.js';

export function keyText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return jsonText(value);
  return String(value);
}
