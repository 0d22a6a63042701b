/**
 * The graceful drain shared by every server of the process. Servers register their connections
 * (`watch`) or their units of in-flight work (`begin`); `drain()` turns readiness false, stops
 * accepting, closes at once the connections that carry no finished request (idle keep-alive ones
 * once their last answer is flushed, those still receiving a request), waits until every answer in
 * flight has been flushed to the client, and says whether all of them were delivered.
 *
 * Node's own `server.close()` is not used to stop listening: since Node 19 it destroys every
 * connection whose response has ended, even one whose bytes are still queued on the socket.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** Node's timers fire after 1 ms beyond this */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DrainResult {
  /** every answer in flight when the drain began (or begun after) reached its client */
  delivered: boolean;
  /** answers cut off: the client went away, or the grace time ran out */
  lost: number;
}

interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  /** false once the drain cut it before its request was received: not an answer lost */
  counts: boolean;
  /** the connection failed while the answer was being written */
  failed: boolean;
}

/** Ends a unit of work: delivered or not. */
export type WorkDone = (delivered: boolean) => void;

export class Drain {
  private draining = false;
  private readonly servers = new Set<Server>();
  /** each connection and the response it is answering, if any */
  private readonly sockets = new Map<Socket, Exchange | null>();
  private pending = 0;
  private lost = 0;
  private waiters: (() => void)[] = [];
  private readonly starting: (() => void)[] = [];

  /** Readiness: false from the start of the drain on. */
  get ready(): boolean {
    return !this.draining;
  }

  /** Tracks an HTTP server's connections and responses. */
  watch(server: Server): void {
    this.servers.add(server);
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, null);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      const exchange: Exchange = { request, response, counts: true, failed: false };
      this.sockets.set(socket, exchange);
      const done = this.begin();
      // Node emits 'finish' even when the socket failed under the last write (the client went away).
      const fail = () => (exchange.failed = true);
      socket.once('error', fail);
      response.once('close', () => {
        socket.off('error', fail);
        done((response.writableFinished && !exchange.failed) || !exchange.counts);
        if (this.sockets.get(socket) === exchange) this.sockets.set(socket, null);
        if (this.draining) closeSoon(socket);
      });
    });
  }

  /** Called when the drain begins: a server that is not an HTTP server stops accepting there (gRPC's tryShutdown). */
  onStart(listener: () => void): void {
    this.starting.push(listener);
  }

  /** Registers one unit of in-flight work (a gRPC call, an HTTP response); call the result once it is over. */
  begin(): WorkDone {
    this.pending++;
    let over = false;
    return (delivered) => {
      if (over) return;
      over = true;
      this.pending--;
      if (!delivered && this.draining) this.lost++;
      if (this.pending === 0) for (const wake of this.waiters.splice(0)) wake();
    };
  }

  /**
   * Readiness false, stop accepting, close what carries no work, wait for the rest at most `graceMs`,
   * then cut what is left.
   */
  async drain(graceMs: number): Promise<DrainResult> {
    this.draining = true;
    for (const listener of this.starting) listener();
    // net.Server's close only stops accepting (see the header).
    for (const server of this.servers) if (server.listening) NetServer.prototype.close.call(server);
    for (const [socket, current] of this.sockets) {
      if (current === null) closeSoon(socket);
      else if (!current.request.complete) {
        // Still receiving its request: not work in flight.
        current.counts = false;
        socket.destroy();
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.idle().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(graceMs, MAX_TIMER_MS)))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.lost += this.pending;
      for (const socket of this.sockets.keys()) socket.destroy();
    }
    return { delivered: this.lost === 0, lost: this.lost };
  }

  private idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Ends the connection once what is queued on it is flushed. */
function closeSoon(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
