/** Connection options for any Temporal: the local dev server, a cluster, or Temporal Cloud. */
import type { Config } from '../config/env';

/** Works for both the client `Connection` and the worker's `NativeConnection`. */
export function connectionOptions(config: Config): { address: string; tls?: boolean; apiKey?: string } {
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? { tls: true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
