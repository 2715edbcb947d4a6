/**
 * Small readers shared by the spec builders: dispatch a body's members to handlers (and
 * report the unknown ones with a hint), check labels, and narrow `unknown`-ish HCL values.
 * `where` is a phrase naming the enclosing block (`in resource "ship" of flow "checkout"`)
 * so every message says what it is about.
 */
import { isAbsolute, resolve } from 'node:path';
import { didYouMean, type Diagnostics } from '../errors.js';
import type { HclValue, Pos, Positioned } from '../spec/types.js';
import { setOwn, type HclAttribute, type HclBlock, type HclBody } from './ast.js';
import type { KnownPlace } from './known.js';
import { warnUnknownOptions } from './unknown-names.js';

export interface BuildContext {
  /** The file being built, absolute. */
  file: string;
  /** Its directory: relative paths in the file are resolved against it. */
  dir: string;
  diagnostics: Diagnostics;
  /** Lines where `$VAR`s were substituted: values read there are not echoed in messages. */
  expandedLines: Set<number>;
}

export interface Rules {
  attributes?: Record<string, (attribute: HclAttribute) => void>;
  blocks?: Record<string, (block: HclBlock) => void>;
  /** Receives attributes not named in `attributes`; without it they are errors. */
  otherAttribute?: (attribute: HclAttribute) => void;
  /** Receives blocks not named in `blocks`; without it they are errors. */
  otherBlock?: (block: HclBlock) => void;
}

/** Calls the rule for each member, in file order. */
export function dispatch(body: HclBody, rules: Rules, where: string, ctx: BuildContext): void {
  const attributes = rules.attributes ?? {};
  const blocks = rules.blocks ?? {};
  for (const member of body) {
    if (member.kind === 'attribute') {
      const handler = Object.hasOwn(attributes, member.name) ? attributes[member.name] : rules.otherAttribute;
      if (handler) handler(member);
      else unknown('attribute', member.name, member.pos, Object.hasOwn(blocks, member.name), rules, where, ctx);
    } else {
      const handler = Object.hasOwn(blocks, member.type) ? blocks[member.type] : rules.otherBlock;
      if (handler) handler(member);
      else unknown('block', member.type, member.pos, Object.hasOwn(attributes, member.type), rules, where, ctx);
    }
  }
}

function unknown(
  kind: 'attribute' | 'block',
  name: string,
  pos: Pos,
  isOtherKind: boolean,
  rules: Rules,
  where: string,
  ctx: BuildContext,
): void {
  if (isOtherKind) {
    const should = kind === 'block' ? 'an attribute (name = value)' : 'a block (name { … })';
    ctx.diagnostics.error('MAESTRO_ERR_CONFIG_KIND', pos, `"${name}" ${where} must be ${should}`);
    return;
  }
  const known = Object.keys(kind === 'block' ? (rules.blocks ?? {}) : (rules.attributes ?? {}));
  const hint = didYouMean(name, known) || (known.length === 0 ? ` — no ${kind}s are allowed here` : '');
  ctx.diagnostics.error('MAESTRO_ERR_CONFIG_UNKNOWN', pos, `unknown ${kind} "${name}" ${where}${hint}`);
}

/**
 * Checks that a block has between `required` and `names.length` labels; returns them
 * (missing optional ones absent) or undefined after reporting.
 */
export function labels(block: HclBlock, names: string[], required: number, ctx: BuildContext): string[] | undefined {
  const count = block.labels.length;
  if (count >= required && count <= names.length) return block.labels;
  const shape = `${block.type} ${names.map((n) => `"<${n}>"`).join(' ')} { … }`;
  const expected =
    required === names.length
      ? `exactly ${required}`
      : required === 0
        ? `at most ${names.length}`
        : `${required} to ${names.length}`;
  ctx.diagnostics.error(
    'MAESTRO_ERR_CONFIG_LABELS',
    block.pos,
    `block "${block.type}" takes ${expected} label${names.length === 1 ? '' : 's'} (${shape}), got ${count}`,
  );
  return undefined;
}

export function positioned(attribute: HclAttribute): Positioned<HclValue> {
  return { value: attribute.value, pos: attribute.valuePos };
}

export function typeError(attribute: HclAttribute, expected: string, where: string, ctx: BuildContext): undefined {
  ctx.diagnostics.error(
    'MAESTRO_ERR_CONFIG_TYPE',
    attribute.valuePos,
    `"${attribute.name}" ${where} must be ${expected}`,
  );
  return undefined;
}

export function stringValue(attribute: HclAttribute, where: string, ctx: BuildContext): Positioned<string> | undefined {
  if (typeof attribute.value !== 'string') return typeError(attribute, 'a string', where, ctx);
  return { value: attribute.value, pos: attribute.valuePos };
}

/** A list of strings; a single string is accepted as a list of one. */
export function stringList(attribute: HclAttribute, where: string, ctx: BuildContext): Positioned<string>[] {
  const { value } = attribute;
  if (typeof value === 'string') return [{ value, pos: attribute.valuePos }];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    typeError(attribute, 'a list of strings', where, ctx);
    return [];
  }
  return value.map((v, i) => ({ value: v as string, pos: attribute.items?.[i] ?? attribute.valuePos }));
}

/**
 * `options { k = v }`: attributes only. With `place`, names the known-name table does
 * not list for it are warned about (Semaphore accepted them silently).
 */
export function optionsRecord(
  block: HclBlock,
  where: string,
  ctx: BuildContext,
  place?: KnownPlace,
): Record<string, Positioned<HclValue>> {
  const options: Record<string, Positioned<HclValue>> = {};
  const names: Array<[string, Pos]> = [];
  labels(block, [], 0, ctx);
  const within = inside(block.type, where);
  dispatch(
    block.body,
    {
      otherAttribute: (a) => {
        setOwn(options, a.name, positioned(a));
        names.push([a.name, a.pos]);
      },
    },
    within,
    ctx,
  );
  if (place) warnUnknownOptions(names, place, within, ctx);
  return options;
}

/**
 * Reports a second occurrence of a block or attribute that may appear once; returns true
 * when `earlier` is absent (the caller may then set it).
 */
export function firstOnly(
  earlier: { pos: Pos } | undefined,
  what: string,
  pos: Pos,
  where: string,
  ctx: BuildContext,
): boolean {
  if (!earlier) return true;
  const at = earlier.pos.file === pos.file ? `line ${earlier.pos.line}` : `${earlier.pos.file}:${earlier.pos.line}`;
  ctx.diagnostics.error('MAESTRO_ERR_CONFIG_DUPLICATE', pos, `duplicate ${what} ${where}; the first is at ${at}`);
  return false;
}

/** Shows a value in a message unless it came from the environment (it may be a secret). */
export function shown(value: string, pos: Pos, ctx: BuildContext): string {
  return ctx.expandedLines.has(pos.line) ? '(a value from the environment)' : `"${value}"`;
}

/** Nests a place phrase: `inside('output', 'in flow "f"')` → `in output of flow "f"`. */
export function inside(what: string, where: string): string {
  return where.startsWith('in ') ? `in ${what} of ${where.slice(3)}` : `in ${what} ${where}`;
}

/** A path written in the file, made absolute against the file's directory. */
export function absolute(path: string, ctx: BuildContext): string {
  return isAbsolute(path) ? path : resolve(ctx.dir, path);
}
