/**
 * The one way executors reach the network. The allow-list is checked twice: on the URL before
 * anything is sent, and on every address the host resolves to, inside the socket's own lookup,
 * so the connection goes to the address that was checked (a name that resolves to a public
 * address for the check and to 127.0.0.1 for the connect gets nowhere). Redirects are never
 * followed: the target of a redirect is not what the reviewers approved.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, refuseAddress, refuseHost, type EgressAllowList } from './allow-list';

/**
 * Thrown when a request is refused by the egress allow-list, or answered with a redirect. Sent
 * again, it would be refused again: the commit fails for good.
 */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
}

/** Resolves a host name to every address it has (as `dns.lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface EgressRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
  timeoutMs?: number;
}

export interface Egress {
  /** Refuses (throws {@link EgressRefusedError}) a URL whose host and port are not allowed; sends nothing. */
  check(url: string): void;
  /** A `fetch` for executors: allow-listed, resolved-and-checked, no redirects, bounded body. */
  fetch(url: string, init?: EgressRequest): Promise<Response>;
}

export interface EgressOptions {
  allow: EgressAllowList;
  /** Tests stand in a resolver for a name that points at loopback; the default asks the system. */
  resolve?: Resolver;
  maxResponseBytes?: number;
  defaultTimeoutMs?: number;
}

const systemResolve: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** Statuses whose response has no body; `Response` refuses one for them. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function createEgress(options: EgressOptions): Egress {
  const resolve = options.resolve ?? systemResolve;
  const maxBytes = options.maxResponseBytes ?? 1_048_576;

  function target(url: string): { u: URL; port: number } {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new EgressRefusedError(`"${url.slice(0, 200)}" is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new EgressRefusedError(`${u.protocol} URLs are not sent; only http and https`);
    if (u.username || u.password) throw new EgressRefusedError('URLs with credentials in them are not sent');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const refusal = refuseHost(options.allow, u.hostname, port);
    if (refusal) throw new EgressRefusedError(`egress refused: ${refusal}`);
    return { u, port };
  }

  /**
   * The socket's lookup: resolve, refuse if any address is not allowed (a name with one private
   * address among public ones is a rebinding attempt, not a choice), hand back only checked ones.
   */
  function guardedLookup(port: number, onRefusal: (err: EgressRefusedError) => void): LookupFunction {
    return (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          const refusal =
            addresses.length === 0
              ? `${hostname} resolves to no address`
              : addresses.map((a) => refuseAddress(options.allow, hostname, port, a.address)).find(Boolean);
          if (refusal) {
            const err = new EgressRefusedError(`egress refused: ${refusal}`);
            onRefusal(err);
            callback(err, '', 0);
            return;
          }
          const usable =
            lookupOptions.family === 4 || lookupOptions.family === 6
              ? addresses.filter((a) => a.family === lookupOptions.family)
              : addresses;
          if (lookupOptions.all) callback(null, usable);
          else if (usable[0]) callback(null, usable[0].address, usable[0].family);
          else
            callback(
              Object.assign(new Error(`${hostname} has no IPv${String(lookupOptions.family)} address`), { code: 'ENOTFOUND' }),
              '',
              0,
            );
        },
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
    };
  }

  async function send(url: string, init: EgressRequest = {}): Promise<Response> {
    const { u, port } = target(url);
    const host = bareHost(u.hostname);
    const timeoutMs = init.timeoutMs ?? options.defaultTimeoutMs ?? 10_000;
    return new Promise<Response>((resolvePromise, reject) => {
      let refused: EgressRefusedError | undefined;
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(refused ?? err);
      };
      const request = (u.protocol === 'https:' ? httpsRequest : httpRequest)({
        protocol: u.protocol,
        hostname: host,
        port,
        path: `${u.pathname}${u.search}`,
        method: init.method ?? 'GET',
        headers: { ...init.headers, ...(init.body != null ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
        // A fresh socket per request: a pooled one could have been opened for another host's check.
        agent: false,
        // Literal addresses skip the lookup; target() has already checked them.
        ...(isIP(host) === 0 ? { lookup: guardedLookup(port, (err) => (refused = err)) } : {}),
        ...(u.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
      });
      const timer = setTimeout(() => request.destroy(new Error(`${u.origin} did not answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', fail);
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 599) {
          response.destroy();
          fail(new Error(`${u.origin} answered with status ${status}`));
          return;
        }
        if (status >= 300 && status < 400) {
          response.destroy();
          const location = String(response.headers.location ?? '(no Location)').slice(0, 300);
          fail(
            new EgressRefusedError(`${u.origin}${u.pathname} answered ${status} redirecting to ${location}; redirects are not followed`),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) response.destroy(new Error(`${u.origin} answered with more than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(timer);
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
          }
          resolvePromise(
            new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: response.statusMessage ?? '',
              headers,
            }),
          );
        });
      });
      request.end(init.body ?? undefined);
    });
  }

  return { check: (url) => void target(url), fetch: send };
}
