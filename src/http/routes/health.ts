/**
 * Probes for orchestrators. `/healthz`: the process serves requests (restart it if not).
 * `/readyz`: it can also reach Temporal, so it is worth sending reviewers to (take it out of the
 * load balancer if not). The service holds no state, so Temporal is its only dependency.
 */
import { Router } from 'express';
import type { RouteContext } from '../context';

/** A readiness probe that hangs is as bad as a failed one; answer within this time. */
export const READY_TIMEOUT_MS = 2_000;

export function healthRouter(ctx: Pick<RouteContext, 'client' | 'logger'>, draining: () => boolean = () => false): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // Shutting down: out of the load balancer first, while in-flight requests still finish.
    if (draining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    try {
      // Cheap, and it proves more than a ping: the server answers and our namespace exists.
      const { client } = ctx;
      await client.withDeadline(Date.now() + READY_TIMEOUT_MS, () =>
        client.workflowService.describeNamespace({ namespace: client.options.namespace }),
      );
      res.status(200).json({ status: 'ready', temporal: 'reachable' });
    } catch (err) {
      ctx.logger.warn({ err: (err as Error)?.message }, 'readiness check: Temporal unreachable');
      res.status(503).json({ status: 'unavailable', temporal: 'unreachable' });
    }
  });
  return router;
}
