// Starts the mock upstream and a Maestro daemon on this example: `npm run example`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from './upstream.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const upstream = await startUpstream(0);
const port = process.env.PORT ?? '8080';
const daemon = spawn(
  process.execPath,
  [join(here, '../../dist/cmd/maestro.js'), 'daemon', '--config', join(here, 'config.hcl')],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      SHOP_UPSTREAM: `http://127.0.0.1:${upstream.address().port}`,
      MAESTRO_HTTP: `127.0.0.1:${port}`,
    },
  },
);
console.log(`example: Maestro on http://127.0.0.1:${port} — try: curl http://127.0.0.1:${port}/products/L1`);
const stop = () => daemon.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
daemon.on('exit', (code) => {
  upstream.close();
  process.exit(code ?? 0);
});
