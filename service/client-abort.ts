/**
 * Tells the batcher when the client closes its connection before its answer is sent. One listener
 * on the response, whatever the number of submissions, rather than an AbortController: one per
 * request cost more than the rest of the batcher's bookkeeping.
 */
import type { FastifyReply } from 'fastify';
import type { ClientGone } from './batcher.ts';
import { ClientClosedError } from './http-error.ts';

export function clientGone(reply: FastifyReply): ClientGone {
  const drops: ((reason: unknown) => void)[] = [];
  return (drop) => {
    if (drops.length === 0)
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished) return;
        const reason = new ClientClosedError();
        for (const each of drops) each(reason);
      });
    drops.push(drop);
  };
}
