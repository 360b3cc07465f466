import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { ConfigError, parseConfig } from '../../../src/config/env';
import { connectionOptions } from '../../../src/temporal/connection';

const TLS = resolve(__dirname, '../../fixtures/tls');
const file = (name: string): string => join(TLS, name);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('Temporal connection options', () => {
  it('connects in plain text to the dev server by default', () => {
    expect(connectionOptions(parseConfig({}))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('uses TLS with the system roots for an API key (Temporal Cloud)', () => {
    const config = parseConfig({ TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'key-123' });
    expect(connectionOptions(config)).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: true, apiKey: 'key-123' });
  });

  it('reads the client certificate, its key, the server CA and the server name for mTLS', () => {
    const config = parseConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    });
    expect(connectionOptions(config)).toEqual({
      address: 'temporal.internal:7233',
      tls: {
        clientCertPair: { crt: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) },
        serverRootCACertificate: readFileSync(file('ca.pem')),
        serverNameOverride: 'temporal.test',
      },
    });
  });

  it('names every missing file and every file that is not the expected PEM, at once', () => {
    const config = parseConfig({
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.key'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('no-such.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('README.md'),
    });
    expect(problemsOf(() => connectionOptions(config))).toEqual([
      `TEMPORAL_TLS_CLIENT_CERT_PATH: ${file('client.key')} is not a PEM certificate`,
      `TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read ${file('no-such.key')} (no such file)`,
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: ${file('README.md')} is not a PEM certificate`,
    ]);
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(problemsOf(() => parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') }))).toEqual([
      'TEMPORAL_TLS_CLIENT_KEY_PATH: is required with TEMPORAL_TLS_CLIENT_CERT_PATH',
    ]);
    expect(problemsOf(() => parseConfig({ TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key') }))).toEqual([
      'TEMPORAL_TLS_CLIENT_CERT_PATH: is required with TEMPORAL_TLS_CLIENT_KEY_PATH',
    ]);
  });

  it('refuses TLS settings or an API key when TEMPORAL_TLS is explicitly false', () => {
    expect(problemsOf(() => parseConfig({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'key-123' }))).toEqual([
      'TEMPORAL_TLS: is false, but TEMPORAL_API_KEY needs TLS',
    ]);
  });

  it('refuses an address without a port, alongside the other problems', () => {
    const problems = problemsOf(() =>
      parseConfig({ TEMPORAL_ADDRESS: 'https://temporal.internal', TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') }),
    );
    expect(problems).toEqual([
      'TEMPORAL_ADDRESS: must be host:port',
      'TEMPORAL_TLS_CLIENT_KEY_PATH: is required with TEMPORAL_TLS_CLIENT_CERT_PATH',
    ]);
  });

  it('accepts an IPv6 address with its port', () => {
    expect(parseConfig({ TEMPORAL_ADDRESS: '[::1]:7233' }).TEMPORAL_ADDRESS).toBe('[::1]:7233');
  });

  describe('against a TLS server that requires a client certificate', () => {
    let server: Http2SecureServer;
    let port: number;
    const clients: string[] = [];

    beforeAll(async () => {
      server = createSecureServer({
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.pem')),
        ca: readFileSync(file('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      });
      server.on('secureConnection', (socket: TLSSocket) => {
        clients.push(String(socket.getPeerCertificate().subject.CN));
      });
      // Not a Temporal frontend: the handshake is what is under test; the call itself then fails.
      server.on('stream', (stream) => stream.respond({ ':status': 404 }, { endStream: true }));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    const attempt = async (env: Record<string, string>): Promise<void> => {
      const options = connectionOptions(parseConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, ...env }));
      const connection = Connection.lazy({ ...options, connectTimeout: 2_000 });
      try {
        await connection.ensureConnected().catch(() => undefined);
      } finally {
        await connection.close();
      }
    };

    it('presents the client certificate and trusts the server through the configured CA and name', async () => {
      clients.length = 0;
      await attempt({
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      });
      expect(clients).toContain('gatehouse-worker');
    });

    it('does not complete a handshake without the server CA', async () => {
      clients.length = 0;
      await attempt({
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      });
      expect(clients).toEqual([]);
    });
  });
});
