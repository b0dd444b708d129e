/**
 * The real NATS server (JetStream on) at 127.0.0.1:4222 for the intake suites and the bench: `.ci/run`
 * starts one when none answers, so a missing server is a failure with a clear message, never a skip.
 * Every run gets its own stream, subjects and consumer, deleted afterwards, so parallel runs never meet.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, NatsConnection } from '@nats-io/transport-node';

export const NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsTestBus {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subject: string;
  deadLetterSubject: string;
  consumer: string;
  /** The worker's EVENTS_NATS_* variables for this run's names. */
  env: Record<string, string>;
  /** Every dead letter stored so far: headers and the parsed reason. */
  deadLetters(): Promise<{ headers: Record<string, string>; reason: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export async function openNatsTestBus(tag: string): Promise<NatsTestBus> {
  let connection: NatsConnection;
  try {
    connection = await connect({ servers: NATS_URL, timeout: 3000, maxReconnectAttempts: 0 });
  } catch (error) {
    throw new Error(
      `No NATS server answers at ${NATS_URL} (${error instanceof Error ? error.message : String(error)}). ` +
        'The NATS intake suites need a real nats-server with JetStream: .ci/run installs and starts one; locally run ' +
        '`nats-server -a 127.0.0.1 -p 4222 -js -sd /tmp/nats` first.',
      { cause: error },
    );
  }
  const id = `${tag}${randomBytes(5).toString('hex')}`;
  const stream = `MAILSTRATA_TEST_${id}`;
  const subject = `mailstrata.test.${id}.events`;
  const deadLetterSubject = `mailstrata.test.${id}.dead`;
  const consumer = `intake-${id}`;
  const jsm = await jetstreamManager(connection);
  await jsm.streams.add({ name: stream, subjects: [subject, deadLetterSubject] });
  const js = jetstream(connection);
  return {
    connection,
    js,
    jsm,
    stream,
    subject,
    deadLetterSubject,
    consumer,
    env: {
      EVENTS_NATS_URL: NATS_URL,
      EVENTS_NATS_STREAM: stream,
      EVENTS_NATS_SUBJECT: subject,
      EVENTS_NATS_DEAD_LETTER_SUBJECT: deadLetterSubject,
      EVENTS_NATS_CONSUMER: consumer,
      EVENTS_NATS_CREATE_STREAM: 'false',
    },
    deadLetters: async () => {
      const info = await jsm.streams.info(stream);
      const out: { headers: Record<string, string>; reason: Record<string, unknown> }[] = [];
      // A throwaway consumer on the dead-letter subject (filter_subject: the ordered consumer needs NATS 2.10).
      const created = await jsm.consumers.add(stream, {
        filter_subject: deadLetterSubject,
        ack_policy: AckPolicy.None,
        inactive_threshold: nanos(30_000),
      });
      const reader = await js.consumers.get(stream, created.name);
      const pending = created.num_pending;
      if (pending === 0 || info.state.messages === 0) return out;
      const batch = await reader.fetch({ max_messages: pending, expires: 5000 });
      for await (const m of batch) {
        const headers: Record<string, string> = {};
        for (const [k, v] of m.headers ?? []) headers[k] = v[0] ?? '';
        out.push({ headers, reason: m.json<Record<string, unknown>>() });
        if (out.length >= pending) break;
      }
      await jsm.consumers.delete(stream, created.name).catch(() => undefined);
      return out;
    },
    close: async () => {
      await jsm.streams.delete(stream).catch(() => undefined);
      await connection.close();
    },
  };
}
