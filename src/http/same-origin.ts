/**
 * The browser's own word on where a form POST came from, checked before the CSRF token.
 *
 * `Sec-Fetch-Site` is set by every current browser and cannot be set by page scripts; our form
 * posts carry `same-origin`. `Origin` is the fallback for older browsers, with one catch: because
 * the decision page sends `Referrer-Policy: no-referrer`, browsers serialize the Origin of its
 * POSTs as the literal `null` (Fetch standard, "append a request Origin header"), so `null` proves
 * nothing either way and the CSRF token decides. Clients that send neither header (curl, scripts)
 * are not browsers and cannot be tricked into sending the reviewer's cookie; the token decides.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CsrfError } from './errors';

/**
 * @param publicOrigin the service's origin from configuration (never from the Host header)
 * @throws {@link CsrfError} `cross_site` when the browser reports another site or origin.
 */
export function checkSameOrigin(headers: IncomingHttpHeaders, publicOrigin: string): void {
  const site = headerValue(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') throw new CsrfError('cross_site');
  const origin = headerValue(headers['origin']);
  if (origin !== undefined && origin !== 'null' && origin !== publicOrigin) throw new CsrfError('cross_site');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
