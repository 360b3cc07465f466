/**
 * Connection options for any Temporal: the local dev server, a self-hosted cluster (TLS, mTLS
 * with a private CA) or Temporal Cloud (API key, or mTLS). The files are read at start, so a
 * missing or wrong file stops the process with its name instead of failing the first handshake.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config } from '../config/env';

/** Works for both the client `Connection` and the worker's `NativeConnection`. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

type TemporalSettings = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/;

/**
 * Reads every file the settings name; throws one ConfigError listing every file that is missing,
 * unreadable or not the PEM it should be.
 */
export function connectionOptions(config: TemporalSettings, readFile: (path: string) => Buffer = readFileSync): TemporalConnectionOptions {
  const problems: string[] = [];
  const pem = (variable: keyof TemporalSettings, shape: RegExp, expected: string): Buffer | undefined => {
    const path = config[variable];
    if (typeof path !== 'string') return undefined;
    let content: Buffer;
    try {
      content = readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${variable}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
      return undefined;
    }
    if (!shape.test(content.toString('utf8'))) problems.push(`${variable}: ${path} is not ${expected}`);
    return content;
  };
  const crt = pem('TEMPORAL_TLS_CLIENT_CERT_PATH', PEM_CERTIFICATE, 'a PEM certificate');
  const key = pem('TEMPORAL_TLS_CLIENT_KEY_PATH', PEM_PRIVATE_KEY, 'a PEM private key');
  const ca = pem('TEMPORAL_TLS_SERVER_CA_CERT_PATH', PEM_CERTIFICATE, 'a PEM certificate');
  if (problems.length > 0) throw new ConfigError(problems);

  const tlsConfig: TLSConfig = {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const useTls = config.TEMPORAL_TLS || config.TEMPORAL_API_KEY !== undefined || Object.keys(tlsConfig).length > 0;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(useTls ? { tls: Object.keys(tlsConfig).length > 0 ? tlsConfig : true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
