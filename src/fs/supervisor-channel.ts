/**
 * Messages to the supervising `entropy-sc` process (bin/entropy-sc.js runs every command in a child
 * process and stays idle, so that it can stop the child at once and clean up after it). Outside a
 * supervised child (tests, library use) the messages go nowhere.
 */

export type SupervisorMessage =
  /** a folder in which this process creates temporary files (`*.tmp-<pid>-<hex>`) */
  | { kind: 'temp-folder'; folder: string }
  /** a checkpoint from which `train --resume` can continue now exists */
  | { kind: 'checkpoint'; path: string };

/** The environment variable that marks a supervised child; its value is the supervisor's pid. */
export const SUPERVISOR_ENV = 'ENTROPY_SC_SUPERVISOR';

export function tellSupervisor(message: SupervisorMessage): void {
  if (process.env[SUPERVISOR_ENV] && process.send && process.connected) process.send({ entropySc: message });
}
