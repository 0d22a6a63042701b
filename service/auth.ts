/**
 * Bearer-token access: where the token comes from, how a request's token is compared (in constant
 * time, on digests, so neither content nor length leaks through timing), and which addresses may be
 * bound without one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { UserError } from '@entropy-sc/core/errors';
import { serviceEnv, TOKEN_VARIABLE } from './env.ts';

/**
 * The token from `tokenFile` (surrounding whitespace dropped), else from ENTROPY_SC_TOKEN, else none.
 */
export async function loadToken(tokenFile: string | undefined, env = serviceEnv()): Promise<string | undefined> {
  if (tokenFile === undefined) {
    // A token with whitespace could never be sent back in `Authorization: Bearer <token>`.
    if (env.token !== undefined && /\s/.test(env.token))
      throw new UserError(`${TOKEN_VARIABLE}: a token is one word without spaces or line breaks`);
    return env.token;
  }
  let text: string;
  try {
    text = await readFile(tokenFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `--token-file ${tokenFile}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(error)})`}`,
    );
  }
  const token = text.trim();
  if (token === '') throw new UserError(`--token-file ${tokenFile}: the file is empty`);
  if (/\s/.test(token)) throw new UserError(`--token-file ${tokenFile}: a token is one line without spaces`);
  return token;
}

/** Checks `Authorization: Bearer <token>` headers against one token. */
export class BearerCheck {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  accepts(header: string | undefined): boolean {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    // The comparison runs whether or not the header had the right form.
    const given = sha256(match ? match[1]! : '');
    return timingSafeEqual(given, this.digest) && match !== null;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** 127.0.0.0/8, ::1 and localhost; everything else (0.0.0.0, ::, a LAN address, a name) is reachable from outside. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/** Refuses to serve a non-loopback address without a token, unless the user said --insecure. */
export function checkExposure(host: string, token: string | undefined, insecure: boolean): void {
  if (token !== undefined || insecure || isLoopback(host)) return;
  throw new UserError(
    `refusing to listen on ${host} without a token: anyone who can reach it could use the service. ` +
      `Give --token-file FILE (or set ${TOKEN_VARIABLE}), or --insecure if the network is trusted`,
  );
}
