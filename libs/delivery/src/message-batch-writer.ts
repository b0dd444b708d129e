/**
 * Gathers the send intake's messages into shared statements: while one write is in flight, the messages
 * submitted meanwhile wait and then go together, in one statement (one round trip, one commit and one
 * WAL flush for all of them). Alone, a message is written at once; under load, each statement carries
 * what arrived during the previous one, so the cost per message falls as the load rises, and the added
 * wait is at most one statement's time.
 *
 * Each caller still gets its own answer only after its message has committed (a 202 or an ack means
 * durable), and each message is all-or-nothing with its jobs and audit events. Should a shared
 * statement fail, its messages are written one by one, so one message's problem never fails another's.
 */
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { NewMessage, PreparedMessage, prepareMessage, writePreparedMessages, WrittenMessage } from './message-writer';

interface Waiting {
  message: PreparedMessage;
  resolve: (written: WrittenMessage) => void;
  reject: (error: unknown) => void;
}

/** Most messages in one statement (each has up to 50 jobs). */
const MAX_BATCH = 100;

export class MessageBatchWriter {
  private waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
  ) {}

  /** Resolves once the message (or nothing, when its key or event id is taken) has committed. */
  write(message: NewMessage): Promise<WrittenMessage> {
    const prepared = prepareMessage(this.cipher, message);
    return new Promise<WrittenMessage>((resolve, reject) => {
      this.waiting.push({ message: prepared, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) await this.flush(this.waiting.splice(0, MAX_BATCH));
    } finally {
      this.running = false;
    }
  }

  private async flush(batch: Waiting[]): Promise<void> {
    try {
      const written = await writePreparedMessages(
        this.dataSource,
        batch.map((w) => w.message),
      );
      batch.forEach((w, i) => w.resolve(written[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const w of batch) {
        await writePreparedMessages(this.dataSource, [w.message]).then(
          ([written]) => w.resolve(written!),
          (e: unknown) => w.reject(e),
        );
      }
    }
  }
}
