/**
 * The gateway over streamable HTTP: every request carries a client's bearer token, each MCP
 * session belongs to the client that opened it, and that client is the caller of its calls
 * (recorded as the requester, so it can never approve them). An app factory; main listens.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type Express, type Request, type Response } from 'express';
import type { McpGatewayConfig } from './config';
import type { McpGateway } from './start';

interface Session {
  transport: StreamableHTTPServerTransport;
  clientId: string;
}

type HttpConfig = NonNullable<McpGatewayConfig['http']>;
type Clients = HttpConfig['clients'];

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];
const isLoopback = (host: string) => ['localhost', '::1', '[::1]'].includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The Host names the endpoint answers to: the configured list, or the loopback names when it
 * listens on loopback. A web page the user visits can reach a loopback server through a name
 * that resolves to 127.0.0.1 (DNS rebinding); only the Host header tells that request apart.
 * On another address the operator names the hosts, since the gateway cannot know them.
 */
export function allowedHostnamesFor(listenHost: string, http: Pick<HttpConfig, 'allowedHosts'>): string[] | undefined {
  return http.allowedHosts ?? (isLoopback(listenHost) ? LOOPBACK_HOSTNAMES : undefined);
}

/** The client whose token hash matches, compared in constant time over fixed-length digests. */
function authenticate(req: Request, clients: Clients): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(req.header('authorization') ?? '');
  if (!match) return undefined;
  const digest = createHash('sha256').update(match[1]!).digest();
  let found: string | undefined;
  for (const client of clients) {
    if (timingSafeEqual(digest, Buffer.from(client.tokenSha256, 'hex'))) found = client.id;
  }
  return found;
}

const rpcError = (res: Response, status: number, message: string) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

export function createMcpHttpApp(gateway: McpGateway, clients: Clients, options: { allowedHostnames?: string[] } = {}): Express {
  const sessions = new Map<string, Session>();
  const app = express();
  app.disable('x-powered-by');
  // Before authentication: a rebinding page has no token, but it must not even learn that.
  if (options.allowedHostnames) app.use(hostHeaderValidation(options.allowedHostnames));
  app.use(express.json({ limit: '4mb' }));

  const handle = async (req: Request, res: Response) => {
    const clientId = authenticate(req, clients);
    if (!clientId) return rpcError(res.setHeader('WWW-Authenticate', 'Bearer'), 401, 'a valid bearer token is required');
    const sessionId = req.header('mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      // Another client's session is answered as unknown: session ids are not capabilities.
      if (!session || session.clientId !== clientId) return rpcError(res, 404, 'unknown session');
      return session.transport.handleRequest(req, res, req.body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) return rpcError(res, 400, 'no session: initialize first');
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, clientId });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await gateway.serverFor({ id: clientId }).connect(transport);
    return transport.handleRequest(req, res, req.body);
  };
  app.post('/mcp', handle);
  app.get('/mcp', handle);
  app.delete('/mcp', handle);
  return app;
}
