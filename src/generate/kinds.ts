/** The documents `maestro generate` prints; apart from index.ts so the CLI can list them without loading graphql. */
export const GENERATE_KINDS = ['openapi3', 'graphql', 'protobuf'] as const;
export type GenerateKind = (typeof GENERATE_KINDS)[number];
