/**
 * Parsed and validated documents by query text. Clients send the same few queries over
 * and over (GraphiQL's introspection alone is 2 KB of text), so parsing and validating
 * each only once keeps the request path to variable coercion and execution.
 * A small LRU bounded by entry count; very long queries are not kept.
 */
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

export type PreparedDocument =
  { document: DocumentNode; errors: undefined } | { document: undefined; errors: readonly GraphQLError[] };

/** Queries longer than this are prepared every time rather than cached. */
const MAX_CACHED_LENGTH = 64 * 1024;

export class DocumentCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, PreparedDocument>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly capacity = 256,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The document for `query`, or the syntax/validation errors to answer with. */
  prepare(query: string): PreparedDocument {
    const hit = this.entries.get(query);
    if (hit) {
      this.entries.delete(query);
      this.entries.set(query, hit);
      return hit;
    }
    const prepared = this.compute(query);
    if (query.length <= MAX_CACHED_LENGTH && this.capacity > 0) {
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(query, prepared);
    }
    return prepared;
  }

  private compute(query: string): PreparedDocument {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      if (error instanceof GraphQLError) return { document: undefined, errors: [error] };
      throw error;
    }
    const errors = validate(this.schema, document, specifiedRules);
    return errors.length > 0 ? { document: undefined, errors } : { document, errors: undefined };
  }
}
