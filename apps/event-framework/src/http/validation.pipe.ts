import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, FieldError } from '@mailstrata/common';

const RULE_NAMES: Record<string, string> = { whitelistValidation: 'unknown_field', nestedValidation: 'isObject' };

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      const name = RULE_NAMES[rule] ?? rule;
      out.push({
        field,
        rule: name,
        message: name === 'unknown_field' ? 'is not a known field' : message.replace(`${error.property} `, ''),
      });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * class-validator with unknown fields refused, and failures rendered as `{field, rule, message}`.
 * A body that is not a JSON object is refused before validation (arrays and scalars included).
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: false,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => DomainError.invalid('VALIDATION_FAILED', 'The request has invalid fields.', flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === undefined) throw DomainError.invalid('BODY_REQUIRED', 'This request needs a JSON object body.');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw DomainError.invalid('BODY_NOT_OBJECT', 'The request body must be a JSON object.');
      }
    }
    return super.transform(value, metadata);
  }
}
