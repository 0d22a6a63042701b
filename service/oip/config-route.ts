/**
 * Triton's model configuration extension: `GET /v2/models/{name}[/versions/{v}]/config`, the
 * model's config.pbtxt as JSON (model-config.ts), which Triton's perf_analyzer and clients read.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { tritonModelConfig } from '../model-config.ts';

type ModelParams = { name: string; version?: string };

export function registerConfigRoute(app: FastifyInstance, context: ServiceContext): void {
  for (const url of ['/v2/models/:name/config', '/v2/models/:name/versions/:version/config'])
    app.get<{ Params: ModelParams }>(url, async (request) => {
      const model = context.models.lookup(request.params.name, request.params.version);
      return tritonModelConfig(model, { limits: context.limits, ...context.serving });
    });
}
