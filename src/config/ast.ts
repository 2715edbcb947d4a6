/**
 * The generic, positioned shape of one HCL file, before any Maestro meaning is given to
 * it. Unlike hcl2json's JSON, it keeps file order, positions, and both members of an
 * attribute/block pair that share a name (`message = "…"` beside `message "meta" {}`).
 */
import type { HclValue, Pos } from '../spec/types.js';

/** `name = value`. */
export interface HclAttribute {
  kind: 'attribute';
  name: string;
  value: HclValue;
  /** Where the attribute name starts. */
  pos: Pos;
  /** Where the value starts. */
  valuePos: Pos;
  /** When the value is a tuple: where each element starts. */
  items?: Pos[];
}

/** `type "label" … { body }`. */
export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  labelPos: Pos[];
  body: HclBody;
  pos: Pos;
}

/** The members of a file or a block, in file order. */
export type HclBody = Array<HclAttribute | HclBlock>;

/** Assigns an own property, even one named `__proto__`, so HCL keys cannot touch prototypes. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
