/**
 * The floor of one HTTP request on this machine: fastify, as the service builds it (Node's server,
 * a raw body read, a fixed binary answer), with nothing to compute. Run pinned to the service's core;
 * prints its URL on stderr. Standalone: node bin/run-ts.js bench/http-floor.ts
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
// The size of a one-row answer of mean and variance (H = 100) and its JSON header.
const answer = Buffer.alloc(1000);
app.post('/v2/models/:name/infer', async (_request, reply) =>
  reply.headers({ 'content-type': 'application/octet-stream', 'inference-header-content-length': '200' }).send(answer),
);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`floor on ${url} with nothing\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
