/**
 * The MIME text of the mailer's own messages, composed in one pass: one sender, one recipient, a
 * subject, a text part and an optional HTML alternative. nodemailer's general composer (a MIME tree,
 * header normalising, addresses parsed again, a stream pipeline per node) spent more CPU per message
 * than the SMTP conversation; handing nodemailer the finished message (`raw`) made a pooled send
 * about a quarter cheaper. The encoders are nodemailer's own (encoded words, folding, quoted-printable)
 * and the choices follow its composer: 7bit for short-lined ASCII text, otherwise quoted-printable when
 * Latin letters dominate, else base64.
 *
 * No line of the result exceeds 998 octets (RFC 5322 2.1.1): bodies with longer lines (or lines over 76)
 * are quoted-printable or base64, and a header whose words are too long to fold (a 998-character subject
 * without a space) is written as encoded words, which fold between them.
 *
 * Values must have passed `assertSendable` (no CR/LF, plain addresses). Anything outside this narrow
 * shape (an address with non-ASCII characters) gets `undefined`, and the caller lets nodemailer's
 * composer handle it.
 */
import * as base64 from 'nodemailer/lib/base64';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';

export interface MimeInput {
  fromName: string;
  fromAddress: string;
  to: string;
  /** One plain address (checked by assertSendable). */
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  /** Random, unique per message: the multipart boundary is built from it. */
  baseBoundary: string;
  date: Date;
}

type Encoding = 'Q' | 'B';

const ASCII_ADDRESS = /^[\x21-\x7e]+$/;
const WORD_CHARS = /^[\w ]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LINE_LENGTH = 76;
const WORD_LENGTH = 52;
/** RFC 5322 2.1.1: at most 998 octets per line, CRLF excluded. */
export const MAX_LINE_OCTETS = 998;

/** nodemailer's encodeWords with `encodeAll` (its typings omit the fourth parameter). */
const encodeWords = mimeFuncs.encodeWords as (value: string, encoding: Encoding, maxLength: number, encodeAll: boolean) => string;

/** C0 controls other than TAB, LF and CR, and DEL: not allowed as such in a header. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code === 0x7f) return true;
  }
  return false;
}

/** More Latin letters than 8-bit or control characters: quoted-printable, else base64 (as nodemailer). */
function textEncoding(value: string): Encoding {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) nonLatin += 1;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin += 1;
  }
  return nonLatin < latin ? 'Q' : 'B';
}

function displayName(name: string): string {
  if (WORD_CHARS.test(name)) return name;
  if (PRINTABLE_ASCII.test(name)) return `"${name.replace(/([\\"])/g, '\\$1')}"`;
  return mimeFuncs.encodeWord(name, textEncoding(name), WORD_LENGTH);
}

/** The whole value as encoded words (each short enough to fold between). */
function encodedText(value: string): string {
  return mimeFuncs.encodeWord(value, textEncoding(value), WORD_LENGTH);
}

function unstructured(value: string): string {
  return hasControl(value)
    ? mimeFuncs.encodeWord(value, textEncoding(value), WORD_LENGTH)
    : encodeWords(value, textEncoding(value), WORD_LENGTH, true);
}

/** Whether every line of folded (ASCII) header text is within MAX_LINE_OCTETS. */
function linesFit(folded: string): boolean {
  return folded.split('\r\n').every((line) => line.length <= MAX_LINE_OCTETS);
}

/** `Name: value` folded; when a word is too long to fold within the limit, the value as encoded words. */
function header(name: string, value: string, encoded: () => string): string {
  const folded = mimeFuncs.foldLines(`${name}: ${value}`, LINE_LENGTH);
  return linesFit(folded) ? folded : mimeFuncs.foldLines(`${name}: ${encoded()}`, LINE_LENGTH);
}

/**
 * An unstructured header value (a subject) that folds within MAX_LINE_OCTETS wherever it is composed:
 * the value itself when it does, else encoded words. nodemailer's composer keeps valid encoded words
 * as they are and folds between them, so its fallback path is given this too.
 */
export function foldableText(name: string, value: string): string {
  return linesFit(mimeFuncs.foldLines(`${name}: ${value}`, LINE_LENGTH)) ? value : encodedText(value);
}

/** RFC 5322 date-time, e.g. `Sun, 22 Nov 2026 10:00:00 +0000`. */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** One text part: its Content-Type and Content-Transfer-Encoding lines, a blank line, the encoded body. */
function textPart(type: 'plain' | 'html', content: string): string {
  const crlf = content.replace(/\r\n|\r|\n/g, '\r\n');
  let encoding: string;
  let body: string;
  if (mimeFuncs.isPlainText(crlf) && !mimeFuncs.hasLongerLines(crlf, LINE_LENGTH)) {
    encoding = '7bit';
    body = crlf;
  } else if (textEncoding(crlf) === 'Q') {
    encoding = 'quoted-printable';
    body = qp.wrap(qp.encode(Buffer.from(crlf, 'utf8')), LINE_LENGTH);
  } else {
    encoding = 'base64';
    body = base64.wrap(Buffer.from(crlf, 'utf8').toString('base64'), LINE_LENGTH);
  }
  return `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`;
}

export function composeMime(input: MimeInput): Buffer | undefined {
  if (!ASCII_ADDRESS.test(input.fromAddress) || !ASCII_ADDRESS.test(input.to)) return undefined;
  if (input.replyTo !== undefined && !ASCII_ADDRESS.test(input.replyTo)) return undefined;
  const { fromName, fromAddress } = input;
  const from = fromName
    ? header('From', `${displayName(fromName)} <${fromAddress}>`, () => `${encodedText(fromName)} <${fromAddress}>`)
    : mimeFuncs.foldLines(`From: ${fromAddress}`, LINE_LENGTH);
  const subject = header('Subject', unstructured(input.subject), () => encodedText(input.subject));
  const fold = (line: string) => mimeFuncs.foldLines(line, LINE_LENGTH);
  const headers = [
    from,
    fold(`To: ${input.to}`),
    ...(input.replyTo !== undefined ? [fold(`Reply-To: ${input.replyTo}`)] : []),
    subject,
    fold(`Date: ${rfc5322Date(input.date)}`),
    fold(`Message-ID: ${input.messageId}`),
    'MIME-Version: 1.0',
  ].join('\r\n');
  if (input.html === undefined) return Buffer.from(`${headers}\r\n${textPart('plain', input.text)}\r\n`, 'utf8');
  const boundary = `--_mailstrata-${input.baseBoundary}-alt`;
  return Buffer.from(
    `${headers}\r\nContent-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${textPart('plain', input.text)}\r\n` +
      `--${boundary}\r\n${textPart('html', input.html)}\r\n` +
      `--${boundary}--\r\n`,
    'utf8',
  );
}
