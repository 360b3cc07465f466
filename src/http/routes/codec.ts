/**
 * Codec endpoint for the Temporal Web UI (`POST /codec/decode`, `/codec/encode`): operators see
 * the encrypted payloads in clear in the UI, and nobody else does. CORS admits only the UI's
 * origin; with a token configured every request must carry it as a bearer token (the UI passes
 * its access token only to https endpoints, so over plain http in dev the endpoint answers
 * loopback callers only).
 */
import { timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { JSONToPayload, payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';
import { z } from 'zod';
import { redactDecodedPayloads, type RedactionsByActionType } from '../../evidence/payload-redaction';
import type { Logger } from '../../observability/logger';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** Required bearer token; without one only loopback callers are served. */
  token?: string;
  corsOrigin: string;
  /** The policies' redacted fields, masked in what the Web UI decodes as in every other channel. */
  redactions?: RedactionsByActionType;
  logger: Logger;
}

const CodecBodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })).max(1_000),
});

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function codecRouter(options: CodecRouteOptions): Router {
  const router = Router();
  const cors = (res: Response) => {
    res.setHeader('Access-Control-Allow-Origin', options.corsOrigin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization, authorization-extras');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  };
  const authorized = (req: Request): boolean => {
    if (options.token) {
      const header = req.headers.authorization ?? '';
      return header.startsWith('Bearer ') && sameSecret(header.slice('Bearer '.length), options.token);
    }
    return LOOPBACK.has(req.socket.remoteAddress ?? '');
  };

  router.options(['/codec/decode', '/codec/encode'], (_req, res) => {
    cors(res);
    res.status(204).end();
  });

  const handle = (direction: 'decode' | 'encode') => async (req: Request, res: Response) => {
    cors(res);
    if (!authorized(req)) {
      options.logger.warn({ direction }, 'codec request refused: not authorized');
      res.status(401).json({ error: { code: 'unauthorized', message: 'a valid bearer token is required' } });
      return;
    }
    const body = CodecBodySchema.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: { code: 'malformed_body', message: 'expected { payloads: [{ metadata, data }] }' } });
      return;
    }
    try {
      const payloads = body.data.payloads.map((p) => JSONToPayload(p as JSONPayload));
      const out =
        direction === 'decode'
          ? redactDecodedPayloads(await options.codec.decode(payloads), options.redactions ?? new Map())
          : await options.codec.encode(payloads);
      res.status(200).json({ payloads: out.map(payloadToJSON) });
    } catch (err) {
      res.status(400).json({ error: { code: 'undecodable', message: (err as Error).message } });
    }
  };
  const json = express.json({ limit: '4mb' });
  router.post('/codec/decode', json, handle('decode'));
  router.post('/codec/encode', json, handle('encode'));
  return router;
}
