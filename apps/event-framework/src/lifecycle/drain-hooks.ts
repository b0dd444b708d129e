import type { FastifyInstance } from 'fastify';
import { DrainState } from './drain-state';

/** While draining, every answer closes its connection, so no keep-alive connection outlives the listener. */
export function registerDrainHooks(fastify: FastifyInstance, drain: DrainState): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (drain.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}
