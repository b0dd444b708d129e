import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationFailed } from '@mailstrata/common';
import { HttpErrors } from './errors';

const PASS_THROUGH = new Set<unknown>([String, Boolean, Number, Array, Object]);

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
export class StrictValidationPipe implements PipeTransform {
  private readonly validation = new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Parameters from custom decorators (the signed-in actor) and untyped ones are not input: hand them
    // through without a promise, as they sit on every request's path.
    if (metadata.type === 'custom' || !metadata.metatype || PASS_THROUGH.has(metadata.metatype)) return value;
    if (metadata.type === 'body' && metadata.metatype !== Object) {
      if (value === undefined) throw HttpErrors.BODY_REQUIRED();
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw HttpErrors.BODY_NOT_OBJECT();
      }
    }
    return this.validation.transform(value, metadata);
  }
}
