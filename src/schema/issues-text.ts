/** zod's validation issues as the text of a one-line error. */
import { z } from 'zod';

export function issuesText(error: z.ZodError): string {
  return z.prettifyError(error).replace(/\n/g, '; ');
}
