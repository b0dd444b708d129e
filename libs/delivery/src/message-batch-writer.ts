/**
 * The send intake's writes, gathered (GatheringBatcher): the messages submitted while a write is in
 * flight go together in the next statement (one round trip, one commit and one WAL flush for all).
 * Each caller is answered only after its own message has committed (a 202 or an ack means durable), and
 * each message is all-or-nothing with its jobs and audit events.
 */
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { GatheringBatcher } from './gathering-batcher';
import { NewMessage, PreparedMessage, prepareMessage, writePreparedMessages, WrittenMessage } from './message-writer';

/** Most messages in one statement (each has up to 50 jobs). */
const MAX_BATCH = 100;

export class MessageBatchWriter {
  private readonly batcher: GatheringBatcher<PreparedMessage, WrittenMessage>;

  constructor(
    dataSource: DataSource,
    private readonly cipher: SecretCipher,
  ) {
    this.batcher = new GatheringBatcher((messages) => writePreparedMessages(dataSource, messages), MAX_BATCH);
  }

  /** Resolves once the message (or nothing, when its key or event id is taken) has committed. */
  write(message: NewMessage): Promise<WrittenMessage> {
    return this.batcher.submit(prepareMessage(this.cipher, message));
  }
}
