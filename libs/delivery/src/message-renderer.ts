/**
 * Where a template kind and its data become a subject, text and HTML. The intake calls the renderer
 * bound to MESSAGE_RENDERER; this library binds the built-in one below, which renders `generic` only
 * (subject, text and html taken from the data). A template engine per tenant replaces the binding
 * without touching the intake.
 */
import { Injectable } from '@nestjs/common';
import { DeliveryErrors } from './errors';
import { contentErrors } from './message-request';

export interface RenderedMessage {
  subject: string;
  text: string;
  html?: string;
}

export interface RenderScope {
  partnerId: string | null;
  orgId: string | null;
}

export interface MessageRenderer {
  /** Throws a DomainError naming the data field that is missing or wrong. */
  render(kind: string, scope: RenderScope, data: Record<string, unknown>): Promise<RenderedMessage>;
}

export const MESSAGE_RENDERER = Symbol('MessageRenderer');

@Injectable()
export class GenericMessageRenderer implements MessageRenderer {
  render(kind: string, _scope: RenderScope, data: Record<string, unknown>): Promise<RenderedMessage> {
    if (kind !== 'generic') {
      return Promise.reject(
        DeliveryErrors.TEMPLATE_UNAVAILABLE(`The template "${kind}" cannot be rendered yet; send it as generic or as subject and text.`),
      );
    }
    const errors = contentErrors(data, 'data.');
    if (errors.length > 0) return Promise.reject(DeliveryErrors.INVALID_EMAIL_MESSAGE(undefined, { errors }));
    return Promise.resolve({
      subject: data.subject as string,
      text: data.text as string,
      ...(typeof data.html === 'string' ? { html: data.html } : {}),
    });
  }
}
