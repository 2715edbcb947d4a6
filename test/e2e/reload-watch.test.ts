/**
 * `--watch` follows every file the configuration read, not only the HCL: a function
 * module (re-imported, not served from Node's module cache) and an included file; a
 * file the new configuration includes for the first time is watched from then on.
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
  it('reloads when a function module or an included file changes, and watches newly included files', async () => {
    const dir = configDir({ 'main.hcl': MAIN, 'fns.mjs': fns('first') });
    mkdirSync(join(dir, 'flows'));
    writeFileSync(join(dir, 'flows', 'a.hcl'), flow('a', 'word()'));
    const daemon = await startDaemon({ config: [join(dir, 'main.hcl')], env: process.env, cwd: dir, http: '127.0.0.1:0', logger: pino({ level: 'silent' }), watch: true });
    cleanup(() => daemon.close());
    const get = async (path: string) => {
      const answer = await send(`http://${daemon.addresses.http!}${path}`);
      return answer.status === 200 ? answer.json<{ text: string }>().text : answer.status;
    };
    expect(await get('/a')).toBe('first');
    expect(daemon.files.map((f) => f.path).sort()).toEqual([join(dir, 'flows', 'a.hcl'), join(dir, 'fns.mjs'), join(dir, 'main.hcl')]);

    writeFileSync(join(dir, 'fns.mjs'), fns('second'));
    await waitFor(async () => (await get('/a')) === 'second', 'the changed function module to be served', 10_000);

    writeFileSync(join(dir, 'flows', 'a.hcl'), flow('a', "upper(word())"));
    await waitFor(async () => (await get('/a')) === 'SECOND', 'the changed include to be served', 10_000);

    // A new file matching the include glob is picked up by a reload (here: the API's),
    // and from then on it is watched like the others.
    writeFileSync(join(dir, 'flows', 'b.hcl'), flow('b', "'bee'"));
    await daemon.reload('test');
    expect(await get('/b')).toBe('bee');
    writeFileSync(join(dir, 'flows', 'b.hcl'), flow('b', "'wasp'"));
    await waitFor(async () => (await get('/b')) === 'wasp', 'the newly included file to be watched', 10_000);
    await waitFor(() => daemon.history.filter((r) => r.reason === 'watch' && r.result === 'success').length === 3, 'three reloads by the watcher');
  });
});
