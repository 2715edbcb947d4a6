/** The formats `maestro graph` draws; apart from index.ts so the CLI can list them without loading the renderers. */
export type GraphFormat = 'mermaid' | 'dot' | 'svg';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot', 'svg'];
