import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { fieldError, notFound, validationFailed } from '@mailstrata/common';
import { DeliveryLogScope, DeliveryLogService, MessageIntake, MessageRequest, requestFingerprint } from '@mailstrata/delivery';
import { Actor, Principal } from '@mailstrata/identity';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequirePermissions } from '../http/auth.decorators';
import { uuidParam } from '../http/uuid-param';
import { DeliveryLogQueryDto, deliveryLogQueryOf, IDEMPOTENCY_KEY, SendMessageDto } from './messages.dto';

type SignedIn = Actor & { principal: Principal };

function requestOf(body: SendMessageDto): MessageRequest {
  return {
    ...(body.org_id !== undefined ? { orgId: body.org_id } : {}),
    ...(body.partner_id !== undefined ? { partnerId: body.partner_id } : {}),
    to: body.to,
    ...(body.cc !== undefined ? { cc: body.cc } : {}),
    ...(body.reply_to !== undefined ? { replyTo: body.reply_to } : {}),
    ...(body.template !== undefined ? { template: body.template, data: body.data ?? {} } : {}),
    ...(body.subject !== undefined ? { subject: body.subject } : {}),
    ...(body.text !== undefined ? { text: body.text } : {}),
    ...(body.html !== undefined ? { html: body.html } : {}),
  };
}

/**
 * The send API and the delivery log. Glue only: the intake (tenancy, idempotency, quota, route) and the
 * log (scoping, filters, paging) live in @mailstrata/delivery. A caller sends for its own tenant: an org
 * user for its org, a partner user for its partner and its orgs, a controller admin for any; another
 * tenant's id answers 404 like an unknown one.
 */
@ApiTags('email')
@ApiCookieAuth('rsid')
@Controller('event/v1/email/messages')
export class MessagesController {
  constructor(
    private readonly intake: MessageIntake,
    private readonly log: DeliveryLogService,
  ) {}

  @Post()
  @HttpCode(202)
  @RequirePermissions('email:send')
  @ApiOperation({ summary: 'Queue a system email for a tenant; answers its id and the route it will take' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1–255 printable characters; a retry with the same key and body answers the first message',
  })
  async send(
    @CurrentActor() actor: SignedIn,
    @Body() body: SendMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw validationFailed([fieldError('Idempotency-Key', 'idempotencyKey', 'must be 1–255 printable ASCII characters')]);
    }
    const request = requestOf(body);
    const { principal } = actor;
    const result = await this.intake.submit(
      request,
      principal.kind === 'service_account'
        ? { type: 'service_account', id: principal.serviceAccountId, name: principal.name }
        : { type: 'user', id: principal.userId, name: principal.email },
      key !== undefined ? { key, fingerprint: requestFingerprint(request) } : null,
      { caller: { partnerId: principal.partnerId, orgId: principal.orgId }, actor },
    );
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    return { id: result.id, status: result.status, route: result.route };
  }

  @Get()
  @RequirePermissions('email:read')
  @ApiOperation({ summary: 'The delivery log: messages newest first, with every attempt' })
  async list(@CurrentActor() actor: SignedIn, @Query() query: DeliveryLogQueryDto) {
    return this.log.list(this.scopeOf(actor.principal, query.org_id, query.partner_id), deliveryLogQueryOf(query));
  }

  @Get(':id')
  @RequirePermissions('email:read')
  @ApiOperation({ summary: 'One message of the delivery log with every attempt' })
  async get(@CurrentActor() actor: SignedIn, @Param('id', uuidParam) id: string) {
    return this.log.get(this.scopeOf(actor.principal), id);
  }

  /** The caller's part of the log, narrowed by org_id / partner_id; a foreign narrowing finds nothing (404). */
  private scopeOf(principal: Principal, orgId?: string, partnerId?: string): DeliveryLogScope {
    if (principal.orgId) {
      if ((orgId !== undefined && orgId !== principal.orgId) || partnerId !== undefined) throw notFound('Organization');
      return { kind: 'org', orgId: principal.orgId };
    }
    if (principal.partnerId) {
      if (partnerId !== undefined && partnerId !== principal.partnerId) throw notFound('Partner');
      return orgId !== undefined
        ? { kind: 'partner-org', partnerId: principal.partnerId, orgId }
        : { kind: 'partner', partnerId: principal.partnerId };
    }
    if (orgId !== undefined) return { kind: 'org', orgId };
    if (partnerId !== undefined) return { kind: 'partner', partnerId };
    return { kind: 'all' };
  }
}
