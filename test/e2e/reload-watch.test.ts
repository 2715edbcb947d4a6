/**
 * `--watch` follows every file the configuration read, not only the HCL: a function
 * module (re-imported, not served from Node's module cache) and an included file; a new
 * file beside them (a flow matching the include glob) is picked up and watched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, send, waitFor } from './helpers.js';

const MAIN = `functions = ["./fns.mjs"]
include = ["./flows/*.hcl"]
`;
const flow = (name: string, text: string) => `endpoint "${name}" "http" {
  endpoint = "/${name}"
  method   = "GET"
}

flow "${name}" {
  output {
    text = "{{ ${text} }}"
  }
}
`;
const fns = (word: string) => `export default { word: () => '${word}' };\n`;

describe('--watch', () => {
  it('reloads when a function module or an included file changes, and picks up a new included file', async () => {
    const dir = configDir({ 'main.hcl': MAIN, 'fns.mjs': fns('first') });
    mkdirSync(join(dir, 'flows'));
    writeFileSync(join(dir, 'flows', 'a.hcl'), flow('a', 'word()'));
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: process.env,
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
      watch: true,
    });
    cleanup(() => daemon.close());
    const get = async (path: string) => {
      const answer = await send(`http://${daemon.addresses.http!}${path}`);
      return answer.status === 200 ? answer.json<{ text: string }>().text : answer.status;
    };
    expect(await get('/a')).toBe('first');
    expect(daemon.files.map((f) => f.path).sort()).toEqual([
      join(dir, 'flows', 'a.hcl'),
      join(dir, 'fns.mjs'),
      join(dir, 'main.hcl'),
    ]);

    writeFileSync(join(dir, 'fns.mjs'), fns('second'));
    await waitFor(async () => (await get('/a')) === 'second', 'the changed function module to be served', 10_000);

    writeFileSync(join(dir, 'flows', 'a.hcl'), flow('a', 'upper(word())'));
    await waitFor(async () => (await get('/a')) === 'SECOND', 'the changed include to be served', 10_000);

    // A new file beside the watched ones (matching the include glob) is picked up by
    // itself, and from then on its changes reload too.
    writeFileSync(join(dir, 'flows', 'b.hcl'), flow('b', "'bee'"));
    await waitFor(async () => (await get('/b')) === 'bee', 'the new included file to be served', 10_000);
    writeFileSync(join(dir, 'flows', 'b.hcl'), flow('b', "'wasp'"));
    await waitFor(async () => (await get('/b')) === 'wasp', 'the change of the new file to be served', 10_000);
    expect(daemon.history.every((r) => r.result === 'success' && (r.reason === 'start' || r.reason === 'watch'))).toBe(
      true,
    );
  });
});
