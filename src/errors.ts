/**
 * Errors caused by the user's input (files, flags, requests). The CLI prints their message as one
 * line on stderr and exits non-zero; anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Throws a UserError with `message` unless `condition` holds. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserError(typeof message === 'string' ? message : message());
}
