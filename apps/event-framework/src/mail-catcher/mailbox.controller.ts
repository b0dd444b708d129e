import { Controller, Delete, Get, Header, HttpCode, Param, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { notFound } from '@mailstrata/common';
import { Actor, isControllerAdmin, Principal } from '@mailstrata/identity';
import { CaughtMessage, CaughtMessageSummary, Mailbox, MailCatcher, MailCatcherErrors } from '@mailstrata/mail-catcher';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CurrentActor } from '../http/auth.decorators';
import { HttpErrors } from '../http/errors';
import { uuidParam } from '../http/uuid-param';

type SignedIn = Actor & { principal: Principal };

/** What a caught HTML body may do inside the console's sandboxed frame: show itself, never run script or fetch. */
export const CAUGHT_HTML_CSP =
  "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; sandbox; frame-ancestors 'self'";

export class MailboxQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

const summaryView = (m: CaughtMessageSummary) => ({
  id: m.id,
  received_at: m.receivedAt.toISOString(),
  from: m.from,
  to: m.to,
  subject: m.subject,
  size_bytes: m.sizeBytes,
  has_html: m.hasHtml,
});

const messageView = (m: CaughtMessage) => ({
  ...summaryView(m),
  envelope_from: m.envelopeFrom,
  envelope_to: m.envelopeTo,
  headers: m.headers,
  text: m.text,
});

/**
 * The development mail catcher's mailbox (controller admins only). Exists only while the catcher runs:
 * otherwise every route answers 404 MAIL_CATCHER_OFF.
 */
@ApiTags('development')
@ApiCookieAuth('rsid')
@Controller('dev/v1/mailbox')
export class MailboxController {
  constructor(private readonly catcher: MailCatcher) {}

  @Get()
  @ApiOperation({ summary: 'Messages the development mail catcher received, newest first' })
  async list(@CurrentActor() actor: SignedIn, @Query() query: MailboxQuery) {
    const mailbox = this.mailboxFor(actor);
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const page = await mailbox.list({ limit, offset });
    const address = this.catcher.address;
    return {
      smtp: address ? { host: address.host, port: address.port } : null,
      items: page.items.map(summaryView),
      total: page.total,
      offset,
      limit,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One caught message: envelope, headers, text (the HTML body is at …/html)' })
  async get(@CurrentActor() actor: SignedIn, @Param('id', uuidParam) id: string) {
    return messageView(await this.message(actor, id));
  }

  @Get(':id/html')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CAUGHT_HTML_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-store')
  @Header('referrer-policy', 'no-referrer')
  @ApiOperation({ summary: 'The HTML body, under a CSP that blocks scripts and requests (shown in a sandboxed frame)' })
  async html(@CurrentActor() actor: SignedIn, @Param('id', uuidParam) id: string): Promise<string> {
    const message = await this.message(actor, id);
    if (message.html === null) throw notFound('An HTML body');
    return message.html;
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Empty the mailbox' })
  async clear(@CurrentActor() actor: SignedIn): Promise<void> {
    await this.mailboxFor(actor).clear();
  }

  private async message(actor: SignedIn, id: string): Promise<CaughtMessage> {
    const message = await this.mailboxFor(actor).get(id);
    if (!message) throw notFound('Message');
    return message;
  }

  private mailboxFor(actor: SignedIn): Mailbox {
    if (!isControllerAdmin(actor.principal)) {
      throw HttpErrors.PERMISSION_DENIED('The development mailbox is for controller admins.');
    }
    if (!this.catcher.mailbox) throw MailCatcherErrors.MAIL_CATCHER_OFF();
    return this.catcher.mailbox;
  }
}
