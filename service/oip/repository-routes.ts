/**
 * Triton's model repository extension, read-only: `POST /v2/repository/index` lists every served
 * model with its version and state (`{"ready": true}` in the body: only those ready). Loading and
 * unloading (`/v2/repository/models/{name}/load|unload`) are not offered: the repository is fixed
 * when the service starts.
 */
import type { FastifyInstance } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import type { ServiceContext } from '../context.ts';
import { parseJson } from '../request-rows.ts';

const NAME = 'repository index request';

export function registerRepositoryRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.post<{ Body: Buffer | undefined }>('/v2/repository/index', async (request) => {
    const body = request.body;
    let readyOnly = false;
    if (body !== undefined && body.length > 0) {
      const parsed = parseJson(body, NAME);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new UserError(`${NAME}: expected a JSON object such as {"ready": true}`);
      const ready = (parsed as { ready?: unknown }).ready;
      if (ready !== undefined && typeof ready !== 'boolean')
        throw new UserError(`${NAME}: "ready" must be true or false`);
      readyOnly = ready === true;
    }
    // Every served model is loaded before the service listens; while it drains none is ready.
    const ready = context.readiness.ready;
    if (readyOnly && !ready) return [];
    return context.models.list.map((model) => ({
      name: model.name,
      version: model.version,
      state: ready ? 'READY' : 'UNAVAILABLE',
      reason: ready ? '' : 'the service is shutting down',
    }));
  });
}
