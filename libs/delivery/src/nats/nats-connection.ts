/**
 * Connecting to NATS and making sure the intake's stream (when asked to) and durable consumer exist.
 * The consumer is a pull consumer with explicit acks: an event leaves the stream's pending set only when
 * the worker has committed it (or dead-lettered it), so a crash anywhere before that means redelivery.
 */
import { readFileSync } from 'node:fs';
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, JetStreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, nanos, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsIntakeConfig } from '@mailstrata/config';

export function connectionOptions(config: NatsIntakeConfig, name: string): NodeConnectionOptions {
  const auth = config.auth;
  return {
    servers: config.servers,
    name,
    maxReconnectAttempts: -1,
    ...(auth && 'user' in auth ? { user: auth.user, pass: auth.password } : {}),
    ...(auth && 'token' in auth ? { token: auth.token } : {}),
    ...(auth && 'credsFile' in auth ? { authenticator: credsAuthenticator(readFileSync(auth.credsFile)) } : {}),
    ...(config.caFile ? { tls: { caFile: config.caFile } } : {}),
  };
}

export function connectNats(config: NatsIntakeConfig, name: string): Promise<NatsConnection> {
  return connect(connectionOptions(config, name));
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound || error.status === 404)
  );
}

/** Creates the stream when configured to and it is missing, then the durable consumer (or updates its limits). */
export async function ensureIntakeConsumer(jsm: JetStreamManager, config: NatsIntakeConfig): Promise<void> {
  try {
    await jsm.streams.info(config.stream);
  } catch (error) {
    if (!isNotFound(error) || !config.createStream) {
      throw isNotFound(error)
        ? new Error(`NATS stream ${config.stream} does not exist (create it, or set EVENTS_NATS_CREATE_STREAM=true)`)
        : error;
    }
    // The dead-letter subject is captured too, so a rejected event is kept for whoever looks into it.
    await jsm.streams.add({ name: config.stream, subjects: [config.subject, config.deadLetterSubject] });
  }
  const consumer = {
    durable_name: config.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: config.subject,
    ack_wait: nanos(config.ackWaitMs),
    max_ack_pending: config.maxAckPending,
  };
  try {
    await jsm.consumers.info(config.stream, config.consumer);
    await jsm.consumers.update(config.stream, config.consumer, {
      ack_wait: consumer.ack_wait,
      max_ack_pending: consumer.max_ack_pending,
      filter_subject: consumer.filter_subject,
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(config.stream, consumer);
  }
}
