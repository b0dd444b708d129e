import { simpleParser } from 'mailparser';
import { composeMime, MimeInput } from './mime';

/** Seeded, so a failure names an input that can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOLS = {
  ascii: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  punct: ' .,;:!?"\'()<>[]@\\=_-+*/&%$#~^`|{}',
  latin: 'äöüßÄÖÜéèêñçøåÆ€–“”',
  cjk: '件名本文日本語中文한국어',
  emoji: ['🎉', '📧', '👍🏽', '🇩🇪'],
};

function randomString(rand: () => number, length: number, pools: (keyof typeof POOLS)[]): string {
  let out = '';
  while (out.length < length) {
    const pool = POOLS[pools[Math.floor(rand() * pools.length)]!];
    const chars = Array.isArray(pool) ? pool : Array.from(pool);
    out += chars[Math.floor(rand() * chars.length)];
  }
  return out;
}

function randomText(rand: () => number): string {
  const lines: string[] = [];
  const count = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < count; i += 1) {
    const kind = rand();
    if (kind < 0.15) lines.push('.' + randomString(rand, 5, ['ascii']));
    else if (kind < 0.3) lines.push(randomString(rand, 200 + Math.floor(rand() * 900), ['ascii', 'punct']));
    else lines.push(randomString(rand, Math.floor(rand() * 90), ['ascii', 'punct', 'latin', 'cjk', 'emoji']));
  }
  const breaks = ['\n', '\r\n', '\r'];
  return lines.map((l, i) => (i === 0 ? l : breaks[Math.floor(rand() * breaks.length)]! + l)).join('');
}

/** Header values never carry line breaks (assertSendable); surrounding whitespace is not significant. */
function randomHeaderText(rand: () => number, max: number): string {
  return randomString(rand, 1 + Math.floor(rand() * max), ['ascii', 'punct', 'latin', 'cjk', 'emoji']).trim() || 'x';
}

const base = (over: Partial<MimeInput> = {}): MimeInput => ({
  fromName: 'Partner Ops',
  fromAddress: 'noreply@partner.test',
  to: 'new.user@customer.test',
  subject: 'Set your password',
  text: 'Hello.\nLine two.',
  messageId: '<0b7c2f8e-6a0f-4a43-9d8e-7f1c5d9b3e21@partner.test>',
  baseBoundary: '9f86d081884c7d65',
  date: new Date('2026-11-22T10:00:00Z'),
  ...over,
});

const lineBreaksAsLf = (value: string) => value.replace(/\r\n|\r/g, '\n');

async function assertRoundTrip(input: MimeInput): Promise<void> {
  const raw = composeMime(input);
  expect(raw).toBeDefined();
  const wire = raw!.toString('latin1');
  // 7-bit clean, CRLF only, and no line longer than SMTP allows.
  expect(raw!.every((byte) => byte < 0x80)).toBe(true);
  expect(wire.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  for (const line of wire.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);

  const parsed = await simpleParser(raw!);
  expect(parsed.from?.value).toEqual([{ address: input.fromAddress, name: input.fromName }]);
  expect(parsed.to).toMatchObject({ value: [{ address: input.to, name: '' }] });
  expect(parsed.subject).toBe(input.subject);
  expect(parsed.messageId).toBe(input.messageId);
  expect(parsed.date?.toISOString()).toBe(input.date.toISOString());
  expect(lineBreaksAsLf(parsed.text ?? '').replace(/\n$/, '')).toBe(lineBreaksAsLf(input.text).replace(/\n$/, ''));
  if (input.html === undefined) expect(parsed.html).toBe(false);
  else expect(lineBreaksAsLf(String(parsed.html))).toBe(lineBreaksAsLf(input.html));
  // Only the headers we wrote: nothing smuggled in through a value.
  expect([...parsed.headers.keys()].sort()).toEqual(
    [
      'content-type',
      'date',
      'from',
      'message-id',
      'mime-version',
      'subject',
      'to',
      ...(input.html === undefined ? ['content-transfer-encoding'] : []),
    ].sort(),
  );
}

describe('composeMime', () => {
  it('writes a plain ASCII message as 7bit text with the given identity', async () => {
    const raw = composeMime(base())!.toString('latin1');
    expect(raw).toContain('From: Partner Ops <noreply@partner.test>\r\n');
    expect(raw).toContain('Message-ID: <0b7c2f8e-6a0f-4a43-9d8e-7f1c5d9b3e21@partner.test>\r\n');
    expect(raw).toContain('Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n');
    expect(raw).toContain('Content-Transfer-Encoding: 7bit\r\n\r\nHello.\r\nLine two.\r\n');
    await assertRoundTrip(base());
  });

  it('encodes names, subjects and bodies that are not plain ASCII, and adds an HTML alternative', async () => {
    await assertRoundTrip(
      base({
        fromName: 'Acme "R&D", Inc.',
        subject: 'Grüße aus Köln – ' + 'x'.repeat(120),
        text: 'Zeile 1\r\nZeile ü 2\rdrei\n.dot line\n' + 'long '.repeat(300),
        html: '<p>Grüße &amp; <b>more</b></p>',
      }),
    );
    await assertRoundTrip(base({ fromName: '山田太郎', subject: '件名テスト🎉 ' + '長い'.repeat(60), text: '本文です。\n二行目' }));
    await assertRoundTrip(base({ fromName: '', subject: 'no sender name' }));
  });

  it('keeps every line within 998 octets: a 998-character ASCII subject, long unbroken body lines, text and HTML', async () => {
    const raw = composeMime(base({ subject: 'S'.repeat(998) }))!;
    for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    await assertRoundTrip(base({ subject: 'S'.repeat(998) }));
    await assertRoundTrip(base({ subject: 'a'.repeat(989) + ' ' + 'b'.repeat(8) }));
    await assertRoundTrip(base({ subject: 'ü'.repeat(998), text: 'ü'.repeat(5000) }));
    await assertRoundTrip(base({ subject: '件'.repeat(998), text: '件名'.repeat(3000) }));
    await assertRoundTrip(
      base({
        fromName: 'N'.repeat(200),
        subject: 'x'.repeat(500) + ' ' + 'y'.repeat(497),
        text: 'z'.repeat(5000) + '\n' + 'short',
        html: `<p>${'h'.repeat(5000)}</p>`,
      }),
    );
    await assertRoundTrip(base({ fromName: 'Ö'.repeat(200), subject: '=?x?' + 'q'.repeat(990) }));
  });

  it('round-trips 300 random messages through a real MIME parser', async () => {
    const rand = prng(20261122);
    for (let i = 0; i < 300; i += 1) {
      const input = base({
        fromName: rand() < 0.2 ? '' : randomHeaderText(rand, 40),
        subject: randomHeaderText(rand, 160),
        text: randomText(rand),
        ...(rand() < 0.4 ? { html: `<p>${randomHeaderText(rand, 300)}</p>` } : {}),
        baseBoundary: (i * 7919).toString(16).padStart(16, '0'),
      });
      try {
        await assertRoundTrip(input);
      } catch (error) {
        throw new Error(`random message ${i} failed: ${JSON.stringify(input)}\n${String(error)}`, { cause: error });
      }
    }
  });

  it('leaves addresses with non-ASCII characters to nodemailer', () => {
    expect(composeMime(base({ to: 'jörg@customer.test' }))).toBeUndefined();
    expect(composeMime(base({ fromAddress: 'ops@bücher.test' }))).toBeUndefined();
  });
});
