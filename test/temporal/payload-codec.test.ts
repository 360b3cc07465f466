/** Payloads in Temporal history are ciphertext; the client and worker with the key read them. */
import {
  generatePayloadKey,
  AesGcmPayloadCodec,
  parsePayloadKeys,
  PayloadKeyError,
  ENCRYPTED_ENCODING,
} from '../../src/temporal/payload-codec';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/observability/logger';
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
    expect(new TextDecoder().decode(input.metadata!['encoding'])).toBe(ENCRYPTED_ENCODING);
    expect(new TextDecoder().decode(input.metadata!['encryption-key-id'])).toBe('k2');
  });

  it("masks the policy's redacted fields, and their values repeated anywhere, in what the Web UI decodes", async () => {
    const card = '4111111111111111';
    const proposal = h.proposal('test.auto');
    const params = { ...proposal.params, body: { amount: 42, card } };
    const run = await h.gatehouse.propose({ ...proposal, params, summary: `refund to card 4111 1111\u200b1111 1111` });
    await run.result();
    const history = await h.client.workflow.getHandle(run.workflowId).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const app = createApp({
      client: h.client,
      linkKeyring: h.linkKeyring,
      signer: h.signer,
      logger: createLogger({ level: 'silent' }),
      publicUrl: 'http://127.0.0.1:9',
      codec: {
        codec: new AesGcmPayloadCodec(parsePayloadKeys(KEYS)),
        corsOrigin: 'http://127.0.0.1:8233',
        redactions: new Map([['test.auto', ['params.body.card']]]),
      },
    });
    const server: Server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ok = await fetch(`${base}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: [payloadToJSON(input)] }),
      });
      expect(ok.status).toBe(200);
      const decoded = (await ok.json()) as { payloads: { data: string }[] };
      const text = Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8');
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(card);
      expect(text).not.toContain('4111 1111');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('decodes history payloads through the codec endpoint for an authorized Web UI, and refuses others', async () => {
    const secret = 'codec-secret-evidence';
    const run = await h.gatehouse.propose(h.proposal('test.auto', { evidence: { rationale: secret } }));
    await run.result();
    const history = await h.client.workflow.getHandle(run.workflowId).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const token = 'operator-token-0123456789';
    const app = createApp({
      client: h.client,
      linkKeyring: h.linkKeyring,
      signer: h.signer,
      logger: createLogger({ level: 'silent' }),
      publicUrl: 'http://127.0.0.1:9',
      codec: { codec: new AesGcmPayloadCodec(parsePayloadKeys(KEYS)), token, corsOrigin: 'http://127.0.0.1:8233' },
    });
    const server: Server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = JSON.stringify({ payloads: [payloadToJSON(input)] });
      const headers = { 'content-type': 'application/json', 'x-namespace': 'default' };
      const ok = await fetch(`${base}/codec/decode`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
      const decoded = (await ok.json()) as { payloads: { data: string }[] };
      expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8')).toContain(secret);

      const anonymous = await fetch(`${base}/codec/decode`, { method: 'POST', headers, body });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).not.toContain(secret);
      const wrong = await fetch(`${base}/codec/decode`, { method: 'POST', headers: { ...headers, authorization: 'Bearer nope' }, body });
      expect(wrong.status).toBe(401);
      const preflight = await fetch(`${base}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('opens payloads written under a key that is no longer the first, and refuses a tampered one', async () => {
    const [newer, older] = KEYS.split(',');
    const oldCodec = new AesGcmPayloadCodec(parsePayloadKeys(older!));
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${newer},${older}`));
    const payload = { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"hello"') };
    const [sealed] = await oldCodec.encode([payload]);
    const [opened] = await rotated.decode([sealed!]);
    expect(new TextDecoder().decode(opened!.data)).toBe('"hello"');
    const tampered = { ...sealed!, data: Uint8Array.from(sealed!.data!, (b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
    await expect(new AesGcmPayloadCodec(parsePayloadKeys(newer!)).decode([sealed!])).rejects.toThrow(/unknown key id/);
  });

  it('refuses keys of the wrong length with a clear message', () => {
    expect(() => parsePayloadKeys('k1:c2hvcnQ=')).toThrow(PayloadKeyError);
    expect(() => parsePayloadKeys('k1:c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
