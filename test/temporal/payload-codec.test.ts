/** Payloads in Temporal history are ciphertext; the client and worker with the key read them. */
import { generatePayloadKey, AesGcmPayloadCodec, parsePayloadKeys, PayloadKeyError, ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { decideUpdate } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';

const KEYS = `k2:${generatePayloadKey()},k1:${generatePayloadKey()}`;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ payloadKeys: KEYS });
  await h.startWorker();
});
afterAll(() => h?.close());

describe('payload encryption', () => {
  it('keeps params, evidence and summary out of history in clear while the run works end to end', async () => {
    const secret = 'card-4111111111111111';
    const proposal = h.proposal('test.single', { summary: `Refund for ${secret}`, evidence: { rationale: secret } });
    const run = await h.gatehouse.propose(proposal);
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
    await h.client.workflow.getHandle(run.workflowId).executeUpdate(decideUpdate, {
      args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')],
    });
    expect((await run.result()).status).toBe('succeeded');

    const history = await h.client.workflow.getHandle(run.workflowId).fetchHistory();
    const raw = JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(raw).not.toContain(secret);
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(new TextDecoder().decode(input.metadata!['encoding']!)).toBe(ENCRYPTED_ENCODING);
    expect(new TextDecoder().decode(input.metadata!['encryption-key-id']!)).toBe('k2');
  });

  it('opens payloads written under a key that is no longer the first, and refuses a tampered one', async () => {
    const [newer, older] = KEYS.split(',');
    const oldCodec = new AesGcmPayloadCodec(parsePayloadKeys(older!));
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${newer},${older}`));
    const payload = { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"hello"') };
    const [sealed] = await oldCodec.encode([payload]);
    const [opened] = await rotated.decode([sealed!]);
    expect(new TextDecoder().decode(opened!.data!)).toBe('"hello"');
    const tampered = { ...sealed!, data: Uint8Array.from(sealed!.data!, (b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
    await expect(new AesGcmPayloadCodec(parsePayloadKeys(newer!)).decode([sealed!])).rejects.toThrow(/unknown key id/);
  });

  it('refuses keys of the wrong length with a clear message', () => {
    expect(() => parsePayloadKeys('k1:c2hvcnQ=')).toThrow(PayloadKeyError);
    expect(() => parsePayloadKeys('k1:c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
