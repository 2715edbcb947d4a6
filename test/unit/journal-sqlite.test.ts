/**
 * The SQLite journal on its own: values keep int64 and bytes exact, a run without a
 * step writes nothing, a second process's view (claim) adopts what an earlier owner left,
 * and `done` steps are not handed out again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeValues, encodeValues } from '../../src/journal/journal.js';
import { SqliteJournal } from '../../src/journal/sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-journal-unit-'));
  dirs.push(dir);
  return join(dir, 'nested', 'journal.db');
}

describe('journal values', () => {
  it('round-trip int64 beyond 2^53 and bytes exactly', () => {
    const values = {
      body: {
        big: 9007199254740993n,
        raw: new Uint8Array([0, 255, 7]),
        buf: Buffer.from('hi'),
        list: [1n, 'x'],
        $bigint: 'kept',
      },
      params: { id: '7' },
      headers: { 'x-a': 'b' },
    };
    const back = decodeValues(encodeValues(values));
    expect(back.body!.big).toBe(9007199254740993n);
    expect(back.body!.raw).toEqual(new Uint8Array([0, 255, 7]));
    expect(Buffer.from(back.body!.buf as Uint8Array).toString()).toBe('hi');
    expect(back.body!.list).toEqual([1n, 'x']);
    expect(back.body!.$bigint).toBe('kept');
    expect(back.params).toEqual({ id: '7' });
  });
});

describe('SQLite journal', () => {
  it('writes nothing for a run without steps, and a record with its first step', async () => {
    const path = file();
    const journal = new SqliteJournal(path);
    expect(journal.tryConnect()).toBeUndefined();
    const quiet = await journal.open('f', 'r-0');
    expect(await journal.list()).toEqual([]);
    await journal.finish(quiet);
    const id = await journal.open('f', 'r-1');
    await journal.step(id, 0, 'a', { body: { n: 1 }, params: {}, headers: {} });
    await journal.step(id, 2, 'c', { body: undefined, params: { id: 'x' }, headers: {} });
    await journal.done(id, 2);
    const [record] = await journal.list();
    expect(record).toMatchObject({ id, flow: 'f', requestId: 'r-1', owner: journal.owner });
    expect(record!.steps).toEqual([{ seq: 0, resource: 'a', values: { body: { n: 1 }, params: {}, headers: {} } }]);
    expect(journal.pending).toBe(1);
    await journal.close();

    // The next process adopts what is left open; its own view then has no one else's records.
    const next = new SqliteJournal(path);
    const claimed = await next.claim();
    expect(claimed.map((r) => [r.id, r.owner, r.steps.map((s) => s.resource)])).toEqual([[id, next.owner, ['a']]]);
    expect(next.pending).toBe(1);
    expect(await next.claim()).toEqual([]);
    await next.finish(id);
    expect(await next.list()).toEqual([]);
    expect(next.pending).toBe(0);
    await next.close();
  });

  it('refuses a second holder of the same file while the first lives', async () => {
    const path = file();
    const first = new SqliteJournal(path);
    expect(first.tryConnect()).toBeUndefined();
    await first.open('f', 'r');
    // Same process, second connection: the exclusive lock holds it off just the same.
    const second = new SqliteJournal(path);
    expect(second.tryConnect()?.message).toMatch(/in use by another maestro process/);
    await expect(second.open('f', 'r')).rejects.toThrow(/cannot be opened/);
    await first.close();
    // A failed open is tried again at most once a second: poll, bounded.
    const deadline = Date.now() + 5_000;
    while (second.tryConnect() !== undefined) {
      if (Date.now() > deadline) throw new Error('the journal never opened after the first holder closed it');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await second.list()).toEqual([]);
    await second.close();
  });
});
