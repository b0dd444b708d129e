/**
 * Captures what the in-process app logs: pino writes its JSON lines through process.stdout, so a test
 * can assert that a secret or token never appears in any log line.
 */
export interface CapturedLogs {
  text(): string;
  restore(): void;
}

export function captureStdout(): CapturedLogs {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  return { text: () => chunks.join(''), restore: () => (process.stdout.write = write) };
}
