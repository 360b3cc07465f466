/**
 * The dev call record in a JSONL file: it keeps what it read in memory, yet sees what another
 * process appends, never hands one key to two claims, and survives a line torn by a crash.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileCallStore } from '../../../src/mcp/call-store';

const fileIn = (name: string) => join(mkdtempSync(join(tmpdir(), 'gatehouse-calls-')), name);
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('file call store', () => {
  it('claims a key once, completes it, and reads the result back from the file in a new store', async () => {
    const file = fileIn('calls.jsonl');
    const store = createFileCallStore(file);
    await expect(store.claim('k1', 's', 't')).resolves.toMatchObject({ claimed: true, entry: { status: 'calling' } });
    await expect(store.claim('k1', 's', 't')).resolves.toMatchObject({ claimed: false, entry: { status: 'calling' } });
    await store.complete('k1', { content: [] });
    const reopened = createFileCallStore(file);
    await expect(reopened.get('k1')).resolves.toMatchObject({ status: 'done', result: { content: [] } });
    await expect(reopened.claim('k1', 's', 't')).resolves.toMatchObject({ claimed: false, entry: { status: 'done' } });
    expect(linesOf(file)).toHaveLength(2);
  });

  it('gives a key to one of two claims made at the same time', async () => {
    const store = createFileCallStore(fileIn('calls.jsonl'));
    const outcomes = await Promise.all([store.claim('k', 's', 't'), store.claim('k', 's', 't'), store.claim('k', 's', 't')]);
    expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
  });

  it('sees a claim another writer appended after it last read the file', async () => {
    const file = fileIn('calls.jsonl');
    const mine = createFileCallStore(file);
    await mine.claim('a', 's', 't');
    await expect(mine.get('b')).resolves.toBeUndefined();
    await createFileCallStore(file).claim('b', 's', 't');
    await expect(mine.claim('b', 's', 't')).resolves.toMatchObject({ claimed: false, entry: { key: 'b', status: 'calling' } });
  });

  it('starts a new line after a line torn by a crash, so the next claim is not lost with it', async () => {
    const file = fileIn('calls.jsonl');
    writeFileSync(file, '{"key":"torn","status":"call');
    await createFileCallStore(file).claim('next', 's', 't');
    await expect(createFileCallStore(file).get('next')).resolves.toMatchObject({ status: 'calling' });
    await expect(createFileCallStore(file).get('torn')).resolves.toBeUndefined();
  });

  it('reads a file torn inside a character once, not again on every call', async () => {
    const file = fileIn('calls.jsonl');
    // The first two of the three bytes of "€": decoded, they are longer than they are on disk.
    writeFileSync(file, Buffer.concat([Buffer.from('{"key":"torn","note":"'), Buffer.from('€').subarray(0, 2)]));
    const store = createFileCallStore(file);
    await store.claim('a', 's', 't');
    // Rewritten in place, same size: a store that read the file again would no longer find "a".
    writeFileSync(file, readFileSync(file).toString('latin1').replace('"key":"a"', '"key":"z"'), 'latin1');
    await expect(store.get('a')).resolves.toMatchObject({ status: 'calling' });
    await expect(createFileCallStore(file).get('a')).resolves.toBeUndefined();
  });

  it('refuses to complete a key nobody claimed and writes nothing', async () => {
    const file = fileIn('calls.jsonl');
    appendFileSync(file, '');
    await expect(createFileCallStore(file).complete('nope', {})).rejects.toThrow('no claimed call under nope');
    expect(linesOf(file)).toHaveLength(0);
  });
});
