/** Every request gets an id in the response and in the log line, and the token never reaches the log. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { REDACTED_LOG_PATHS } from '../../src/observability/logger';
import { requestLog } from '../../src/http/request-log';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ redact: REDACTED_LOG_PATHS }, stream) };
}

async function serve(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('request log', () => {
  it('gives each request an id, keeps a sane incoming one, and logs the route pattern, not the token', async () => {
    const { lines, logger } = capture();
    const app = express();
    app.use(requestLog(logger));
    app.get('/d/:token', (_req, res) => void res.send('ok'));
    const { url, close } = await serve(app);
    try {
      const fresh = await fetch(`${url}/d/v1.k1.secret-token-payload.mac`);
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await fetch(`${url}/d/x`, { headers: { 'x-request-id': 'trace-42' } });
      expect(kept.headers.get('x-request-id')).toBe('trace-42');
      const replaced = await fetch(`${url}/d/x`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(replaced.headers.get('x-request-id')).not.toContain('bad');
      await new Promise((r) => setTimeout(r, 50));
      expect(lines.map((l) => [l['route'], l['status']])).toEqual([
        ['/d/:token', 200],
        ['/d/:token', 200],
        ['/d/:token', 200],
      ]);
      expect(lines[1]!['requestId']).toBe('trace-42');
      expect(JSON.stringify(lines)).not.toContain('secret-token-payload');
    } finally {
      await close();
    }
  });
});
