/**
 * GraphiQL for a browser GET on `/graphql` or `/`. Served entirely from the installed
 * npm packages (graphiql 3 UMD build, react and react-dom 18 UMD builds): the daemon
 * runs where there is no internet, so nothing may come from a CDN. The packages are found
 * at start (so a missing one turns GraphiQL off with a warning) but each file (≈3 MB in
 * all) is read into memory on its first request, not at start. URLs in the page are relative, so it also works behind a path prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Asset {
  contentType: string;
  body: Buffer;
}

export interface Graphiql {
  /** The HTML page. */
  page: string;
  /** The asset served under ASSET_PREFIX + `name`, read on first use; undefined if unknown. */
  asset(name: string): Asset | undefined;
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
  const paths = new Map<string, string>();
  try {
    for (const [name, pkg, file] of FILES) {
      // package.json is the one path every package exports; the UMD files are not.
      const path = join(dirname(require.resolve(`${pkg}/package.json`)), file);
      if (!existsSync(path)) return undefined;
      paths.set(name, path);
    }
  } catch {
    return undefined;
  }
  const assets = new Map<string, Asset>([['init.js', { contentType: JS, body: Buffer.from(INIT) }]]);
  return {
    page: page(),
    asset(name: string): Asset | undefined {
      let asset = assets.get(name);
      const path = paths.get(name);
      if (!asset && path !== undefined) {
        // Synchronous on purpose: a few ms once, for a browser page, and no race between
        // two first requests.
        asset = { contentType: name.endsWith('.css') ? CSS : JS, body: readFileSync(path) };
        assets.set(name, asset);
      }
      return asset;
    },
  };
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
