/**
 * Schemas in formats other than .proto, named at the top level of a configuration:
 * `openapi3 = ["./api.yaml"]` (message types and services) and `avro = ["./x.avsc"]`
 * (message types). Their types join the proto types in the one registry; OpenAPI
 * services are added to the Spec ahead of HCL `service` blocks, which may override them.
 */
import path from 'node:path';
import { expandGlob } from '../config/glob.js';
import type { Diagnostics } from '../errors.js';
import type { Pos, Positioned, ServiceSpec, Spec } from '../spec/types.js';
import type { ConvertedFile } from './descriptor.js';

export interface ExternalSchemas {
  types: ConvertedFile[];
  services: ServiceSpec[];
}

/**
 * The OpenAPI and Avro readers (yaml, ajv, @readme/openapi-parser, avsc: about a megabyte
 * of code) are imported only when a configuration names such a schema.
 */
export async function loadExternalSchemas(spec: Spec, diagnostics: Diagnostics): Promise<ExternalSchemas> {
  const out: ExternalSchemas = { types: [], services: [] };
  const openapiFiles = files(spec.openapi3 ?? [], 'openapi3', diagnostics);
  if (openapiFiles.length > 0) {
    const { loadOpenapi } = await import('./openapi.js');
    const openapi = await loadOpenapi(openapiFiles, diagnostics);
    out.types.push(...openapi.types);
    out.services.push(...openapi.services);
  }
  const avroFiles = files(spec.avro ?? [], 'avro', diagnostics);
  if (avroFiles.length > 0) {
    const { loadAvro } = await import('./avro.js');
    out.types.push(...loadAvro(avroFiles, diagnostics));
  }
  return out;
}

function files(
  globs: Positioned<string>[],
  attribute: string,
  diagnostics: Diagnostics,
): Array<{ file: string; from: Pos }> {
  const out: Array<{ file: string; from: Pos }> = [];
  for (const glob of globs) {
    const found = expandGlob(glob.value, path.dirname(glob.pos.file));
    if (found.length === 0)
      diagnostics.error('MAESTRO_ERR_SCHEMA_READ', glob.pos, `${attribute} "${glob.value}" matches no file`);
    for (const file of found) out.push({ file, from: glob.pos });
  }
  return out;
}
