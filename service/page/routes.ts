/**
 * The page at `/` (page/index.html, page.js, page.css): static files read once at start. They carry
 * no data, so they are served without the token; the page asks for it when the API answers 401.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/page/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  '/page/page.css': ['page.css', 'text/css; charset=utf-8'],
} as const;

export function registerPageRoutes(app: FastifyInstance): void {
  for (const [url, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(new URL(`./${file}`, import.meta.url));
    app.get(url, { config: { open: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', 'no-cache').send(body),
    );
  }
}
