/**
 * GraphiQL for a browser GET on `/graphql` or `/`. Served entirely from the installed
 * npm packages (graphiql 3 UMD build, react and react-dom 18 UMD builds), read into
 * memory once at start: the daemon runs where there is no internet, so nothing may come
 * from a CDN. URLs in the page are relative, so it also works behind a path prefix.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Asset {
  contentType: string;
  body: Buffer;
}

export interface Graphiql {
  /** The HTML page. */
  page: string;
  /** File name → asset, served under ASSET_PREFIX. */
  assets: Map<string, Asset>;
}

export const ASSET_PREFIX = '/graphiql/assets/';
const JS = 'application/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** [served name, package, file inside the package]. */
const FILES: ReadonlyArray<readonly [string, string, string]> = [
  ['react.production.min.js', 'react', 'umd/react.production.min.js'],
  ['react-dom.production.min.js', 'react-dom', 'umd/react-dom.production.min.js'],
  ['graphiql.min.js', 'graphiql', 'graphiql.min.js'],
  ['graphiql.min.css', 'graphiql', 'graphiql.min.css'],
];

/** Runs after the UMD globals are defined; a file, not inline, so a strict CSP can allow it. */
const INIT = `(function () {
  var url = new URL('graphql', document.baseURI).href;
  var fetcher = GraphiQL.createFetcher({ url: url });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolbarTabs: 'variables' }));
})();
`;

/**
 * Loads the assets; undefined (GraphiQL off, the API unaffected) when a package is
 * missing, e.g. in an install that pruned it.
 */
export function loadGraphiql(): Graphiql | undefined {
  const require = createRequire(import.meta.url);
  const assets = new Map<string, Asset>();
  try {
    for (const [name, pkg, file] of FILES) {
      // package.json is the one path every package exports; the UMD files are not.
      const root = dirname(require.resolve(`${pkg}/package.json`));
      assets.set(name, { contentType: name.endsWith('.css') ? CSS : JS, body: readFileSync(join(root, file)) });
    }
  } catch {
    return undefined;
  }
  assets.set('init.js', { contentType: JS, body: Buffer.from(INIT) });
  return { page: page(), assets };
}

/** A browser navigation asks for HTML first; GraphiQL's own fetches never do. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

function page(): string {
  const base = ASSET_PREFIX.slice(1);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Maestro GraphiQL</title>
<style>body { margin: 0; height: 100vh; overflow: hidden; } #graphiql { height: 100vh; }</style>
<link rel="stylesheet" href="${base}graphiql.min.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${base}react.production.min.js"></script>
<script src="${base}react-dom.production.min.js"></script>
<script src="${base}graphiql.min.js"></script>
<script src="${base}init.js"></script>
</body>
</html>
`;
}
