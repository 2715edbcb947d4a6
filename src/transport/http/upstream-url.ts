/**
 * Small joins for upstream URLs. Hosts and paths are parsed by compile
 * (compile/upstream.ts); what is left here runs per call and only writes strings.
 */
/** `http://h/x` → `ws://h/x`; the websocket proxy reuses the HTTP target. */
export function websocketOrigin(origin: string): string {
  return origin.startsWith('https:') ? `wss:${origin.slice(6)}` : `ws:${origin.slice(5)}`;
}

/** Any value a message field may hold, as a path or query string. */
export function paramText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
