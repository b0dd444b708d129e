/**
 * The sandboxed template engine: LiquidJS, which interprets its own small language and never evaluates
 * JavaScript. Templates see only the variables they are handed (own properties of null-prototype
 * objects: no `constructor`, no `__proto__`), cannot read files (include, render and layout are
 * removed, and the engine has an empty in-memory file map besides), and every parse and render is
 * bounded in size, time and allocation. The HTML part escapes every output unless the template says
 * `| raw`; the text part and the subject are not escaped, and the subject is forced onto one line.
 */
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Liquid, LiquidError, Template } from 'liquidjs';
import { BRAND_VARIABLE, KIND_DEFINITIONS, TemplateKind, TemplateSource } from './kinds';
import { TEMPLATE_LIMITS } from './limits';

export type TemplatePart = 'subject' | 'text' | 'html';
export const TEMPLATE_PARTS: readonly TemplatePart[] = ['subject', 'text', 'html'];

export interface RenderedEmail {
  subject: string;
  text: string;
  /** null when the template has no HTML part. */
  html: string | null;
}

/** Why a template cannot be saved: the part, the rule, and where in the part (1-based). */
export interface TemplateIssue {
  field: TemplatePart;
  rule: 'syntax' | 'maxBytes' | 'unknown_variable' | 'no_line_breaks';
  line: number | null;
  column: number | null;
  message: string;
}

/** Why a render failed: a limit, an oversized result, or an error while rendering. Never holds data. */
export type RenderFailureReason = 'limit_exceeded' | 'output_too_large' | 'render_error' | 'syntax';

export class TemplateRenderFailure extends Error {
  constructor(
    readonly part: TemplatePart,
    readonly reason: RenderFailureReason,
    readonly line: number | null,
    readonly column: number | null,
    /** The engine's message: may quote the template, never the data; shown to the template's author in previews. */
    readonly engineMessage: string,
  ) {
    super(`${part}: ${reason}${line !== null ? ` at line ${line}, column ${column}` : ''}`);
    this.name = 'TemplateRenderFailure';
  }
}

/**
 * Renders run synchronously: the time limit is wall time, and an asynchronous render would count every
 * other request the process served meanwhile against the template. The built-in templates are ours and
 * bounded by their data, so they get a time limit that only a stalled process could reach.
 */
const TRUSTED_RENDER_MS = 2_000;

/** Tags that reach for other templates (the file system): there are none to reach, so they do not exist. */
const REMOVED_TAGS = ['include', 'render', 'layout', 'block'];

function sandboxed(escape: 'escape' | undefined): Liquid {
  const liquid = new Liquid({
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    jsTruthy: false,
    dynamicPartials: false,
    relativeReference: false,
    templates: {},
    cache: false,
    outputEscape: escape,
    parseLimit: TEMPLATE_LIMITS.bodyBytes,
    renderLimit: TEMPLATE_LIMITS.renderMs,
    memoryLimit: TEMPLATE_LIMITS.renderMemory,
    // Rendered in UTC whatever the host's zone, so a date reads the same on every replica.
    timezoneOffset: 0,
  });
  for (const tag of REMOVED_TAGS) delete liquid.tags[tag];
  return liquid;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function positionOf(error: unknown): { line: number | null; column: number | null; message: string } {
  if (error instanceof LiquidError) {
    const [line, column] = error.token?.getPosition?.() ?? [null, null];
    const message = (error.originalError?.message ?? error.message).replace(/, line:\d+, col:\d+$/, '');
    return { line: line ?? null, column: column ?? null, message };
  }
  return { line: null, column: null, message: error instanceof Error ? error.message : String(error) };
}

/** CR, LF and other controls become one space: a subject is one header line, whatever the data held. */
function oneLine(subject: string): string {
  return (
    subject
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

@Injectable()
export class TemplateEngine {
  private readonly plain = sandboxed(undefined);
  private readonly escaped = sandboxed('escape');
  /** Parsed templates by content digest: built-ins and busy tenants' templates are parsed once. */
  private readonly parsed = new LRUCache<string, Template[]>({ max: 1_000 });

  /** Everything wrong with a template for `kind`, empty when it may be saved. */
  check(kind: TemplateKind, source: TemplateSource): TemplateIssue[] {
    const issues: TemplateIssue[] = [];
    const allowed = new Set([...Object.keys(KIND_DEFINITIONS[kind].variables), BRAND_VARIABLE]);
    for (const part of TEMPLATE_PARTS) {
      const text = source[part];
      if (text === null) continue;
      const max = part === 'subject' ? TEMPLATE_LIMITS.subjectBytes : TEMPLATE_LIMITS.bodyBytes;
      if (bytes(text) > max) {
        issues.push({ field: part, rule: 'maxBytes', line: null, column: null, message: `must be at most ${max} bytes` });
        continue;
      }
      if (part === 'subject' && /[\r\n]/.test(text)) {
        issues.push({ field: part, rule: 'no_line_breaks', line: null, column: null, message: 'must be one line' });
        continue;
      }
      let templates: Template[];
      try {
        templates = this.parse(part, text);
      } catch (error) {
        const { line, column, message } = positionOf(error);
        issues.push({ field: part, rule: 'syntax', line, column, message });
        continue;
      }
      const globals = this.engineFor(part).analyzeSync(templates).globals;
      for (const [name, uses] of Object.entries(globals)) {
        if (allowed.has(name)) continue;
        const at = uses[0]?.location;
        issues.push({
          field: part,
          rule: 'unknown_variable',
          line: at?.row ?? null,
          column: at?.col ?? null,
          message: `"${name}" is not a variable of ${kind} (it takes: ${[...allowed].join(', ')})`,
        });
      }
    }
    return issues;
  }

  /** Renders all parts with the given scope (see templateScopeOf). Throws TemplateRenderFailure. */
  async render(source: TemplateSource, scope: object, options: { trusted?: boolean } = {}): Promise<RenderedEmail> {
    const limit = options.trusted ? TRUSTED_RENDER_MS : TEMPLATE_LIMITS.renderMs;
    const subject = oneLine(this.renderPart('subject', source.subject, scope, limit));
    if (subject.length > TEMPLATE_LIMITS.renderedSubjectChars) {
      throw new TemplateRenderFailure(
        'subject',
        'output_too_large',
        null,
        null,
        `longer than ${TEMPLATE_LIMITS.renderedSubjectChars} characters`,
      );
    }
    const text = this.renderPart('text', source.text, scope, limit);
    const html = source.html === null ? null : this.renderPart('html', source.html, scope, limit);
    return { subject, text, html };
  }

  private engineFor(part: TemplatePart): Liquid {
    return part === 'html' ? this.escaped : this.plain;
  }

  private parse(part: TemplatePart, text: string): Template[] {
    const key = `${part === 'html' ? 'h' : 'p'}:${createHash('sha256').update(text).digest('base64url')}`;
    let templates = this.parsed.get(key);
    if (!templates) {
      templates = this.engineFor(part).parse(text);
      this.parsed.set(key, templates);
    }
    return templates;
  }

  private renderPart(part: TemplatePart, text: string, scope: object, renderLimit: number): string {
    let out: unknown;
    try {
      out = this.engineFor(part).renderSync(this.parse(part, text), scope, { renderLimit });
    } catch (error) {
      const { line, column, message } = positionOf(error);
      const reason: RenderFailureReason =
        error instanceof LiquidError && error.name !== 'RenderError'
          ? 'syntax'
          : /limit exceeded/.test(message)
            ? 'limit_exceeded'
            : 'render_error';
      throw new TemplateRenderFailure(part, reason, line, column, message);
    }
    const rendered = String(out);
    if (part !== 'subject' && bytes(rendered) > TEMPLATE_LIMITS.renderedBodyBytes) {
      throw new TemplateRenderFailure(part, 'output_too_large', null, null, `larger than ${TEMPLATE_LIMITS.renderedBodyBytes} bytes`);
    }
    return rendered;
  }
}
