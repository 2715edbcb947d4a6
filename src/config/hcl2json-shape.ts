/**
 * Our generic body in the JSON shape `@cdktf/hcl2json` produces, so a test (or
 * `validate --cross-check`) can decode a file both ways and compare. The shape loses
 * what hcl2json loses: order, positions, bigint precision, and a block whose type
 * equals an attribute name in the same body (hcl2json keeps only the attribute).
 * Strings are re-escaped (`${` → `$${`) because hcl2json keeps HCL's escapes in its JSON.
 */
import type { HclValue } from '../spec/types.js';
import { setOwn, type HclBody } from './ast.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toHcl2JsonShape(body: HclBody): Record<string, Json> {
  const out: Record<string, Json> = {};
  const attributes = new Set(body.filter((m) => m.kind === 'attribute').map((m) => m.name));
  for (const member of body) {
    if (member.kind === 'attribute') {
      setOwn(out, member.name, jsonValue(member.value));
      continue;
    }
    if (attributes.has(member.type)) continue;
    let slot: Record<string, Json> = out;
    let key = member.type;
    for (const label of member.labels) {
      const next = slot[key];
      const child: Record<string, Json> = isObject(next) ? next : {};
      setOwn(slot, key, child);
      slot = child;
      key = label;
    }
    const list = slot[key];
    const bodies: Json[] = Array.isArray(list) ? list : [];
    bodies.push(toHcl2JsonShape(member.body));
    setOwn(slot, key, bodies);
  }
  return out;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonValue(value: HclValue): Json {
  if (typeof value === 'string') return value.replace(/([$%])\{/g, '$1$1{');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, jsonValue(v));
    return out;
  }
  return value;
}
