/** The environment variables the service reads, in one place. */

/** The bearer token, when not given by --token-file. */
export const TOKEN_VARIABLE = 'ENTROPY_SC_TOKEN';

export interface ServiceEnv {
  token?: string;
}

export function serviceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  const token = env[TOKEN_VARIABLE];
  return { token: token === undefined || token === '' ? undefined : token };
}
