/**
 * The models a service serves, by name: each with its own worker pool and micro-batcher (as Triton
 * gives each model its own instance group and scheduler), so that a batch never mixes models and a
 * model whose worker crashes does not disturb the others.
 */
import { UserError } from '@entropy-sc/core/errors';
import type { MicroBatcher } from '../batcher.ts';
import { HttpError } from '../http-error.ts';
import type { ModelInfo } from '../model-info.ts';

export interface ServedModel {
  /** the name URLs and metrics use */
  name: string;
  /** 'patch': rows x [rows, D]; 'image': uint8 images (export --image) */
  kind: 'patch' | 'image';
  version: string;
  info: ModelInfo;
  batcher: MicroBatcher;
  /** how the model's windows are cut from an image (a patch model of square windows, or an image model) */
  image?: { patch: number; stride: number; whiten: boolean };
}

export class ModelSet {
  private readonly byName: ReadonlyMap<string, ServedModel>;

  constructor(readonly list: readonly ServedModel[]) {
    const byName = new Map<string, ServedModel>();
    for (const model of list) {
      const other = byName.get(model.name);
      if (other) throw new UserError(`two served models are named '${model.name}': give each its own name`);
      byName.set(model.name, model);
    }
    this.byName = byName;
  }

  get names(): string[] {
    return this.list.map((m) => m.name);
  }

  /** The model of an OIP URL: 404 naming the served ones, if none has that name (and version, if given). */
  lookup(name: string, version?: string): ServedModel {
    const model = this.byName.get(name);
    if (!model) throw new HttpError(404, `unknown model '${name.slice(0, 64)}' (this server serves ${this.quoted()})`);
    if (version !== undefined && version !== model.version)
      throw new HttpError(
        404,
        `unknown version '${version.slice(0, 16)}' of model '${name}' (it has version ${model.version})`,
      );
    return model;
  }

  /**
   * The model of a /v1 request: `?model=NAME`, or the only one served (that `fits`); with several and
   * none named, a 400 that lists them.
   */
  pick(query: unknown, fits: (model: ServedModel) => boolean = () => true): ServedModel {
    if (query === undefined) {
      const candidates = this.list.filter(fits);
      if (candidates.length === 1) return candidates[0]!;
      throw new UserError(`this server serves several models (${this.quoted()}): name one with ?model=NAME`);
    }
    if (typeof query !== 'string') throw new UserError('?model= must be given once');
    return this.lookup(query);
  }

  /** Rows waiting in every model's queue, and their requests. */
  queued(): { rows: number; requests: number } {
    let rows = 0;
    let requests = 0;
    for (const m of this.list) {
      rows += m.batcher.queuedRows;
      requests += m.batcher.queuedRequests;
    }
    return { rows, requests };
  }

  async drained(): Promise<void> {
    await Promise.all(this.list.map((m) => m.batcher.drained()));
  }

  private quoted(): string {
    return this.list.map((m) => `'${m.name}'`).join(', ');
  }
}
