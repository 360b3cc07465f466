/**
 * A TCP port that was free a moment ago. For servers that cannot listen on port 0 themselves
 * (maildev turns 0 into its default port). Another process may take the port between this check
 * and the real bind; that window is acceptable for dev and test servers, never for production.
 */
import { createServer, type AddressInfo } from 'node:net';

/** Asks the OS for a free port on `host` by binding port 0 and releasing it. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
