/**
 * One onnxruntime session per subset of a model's outputs, each of the graph pruned to what that
 * subset needs (prune-graph.ts), created on first use and kept.
 */
import type { ModelProto } from './card.ts';
import { openGraphSession, type GraphSession, type LoadOptions } from './graph-session.ts';
import { pruneToOutputs } from './prune-graph.ts';
import type { ResolvedProvider } from './providers.ts';

export class PrunedSessions {
  private readonly sessions = new Map<string, Promise<GraphSession>>();

  constructor(
    private readonly model: ModelProto,
    private readonly all: readonly string[],
    private readonly provider: ResolvedProvider,
    private readonly options: LoadOptions,
  ) {}

  /** @param bytes the full model's bytes, used as they are when `names` are all outputs */
  get(names: readonly string[], bytes?: Uint8Array): Promise<GraphSession> {
    const key = [...names].sort().join(',');
    let session = this.sessions.get(key);
    if (!session) {
      const model = names.length === this.all.length && bytes ? bytes : pruneToOutputs(this.model, names);
      session = openGraphSession(model, this.options, this.provider);
      this.sessions.set(key, session);
    }
    return session;
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s).release();
  }
}
