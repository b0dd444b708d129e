import { ArgumentMetadata, Injectable, PipeTransform, Type, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError, ValidatorOptions } from 'class-validator';
import { fieldErrorsOf, STRICT_VALIDATION, validationFailed } from '@mailstrata/common';
import { HttpErrors } from './errors';

const PASS_THROUGH = new Set<unknown>([String, Boolean, Number, Array, Object]);

/**
 * Nest's ValidationPipe for what reaches it in this service: parsed JSON bodies, query strings and path
 * parameters, checked by synchronous rules only (request-dtos.spec.ts holds every DTO to that).
 */
class JsonValidationPipe extends ValidationPipe {
  /**
   * Nest looks for binary values (a socket.io attachment, a Buffer from a multipart parser) in nested
   * objects before validating, reading the class's rules once more per request to find them; JSON and
   * query strings cannot hold one, so there is nothing to find.
   */
  protected override findNestedBinaryValues(): ValidationError[] {
    return [];
  }

  /** The same errors as `validate`, without the promises it builds per field and rule to await none. */
  protected override validate(object: object, options?: ValidatorOptions): ValidationError[] {
    return validateSync(object, options);
  }
}

/**
 * class-validator with unknown fields refused, and failures rendered as `{field, rule, message}`.
 * A body that is not a JSON object is refused before validation (arrays and scalars included).
 */
@Injectable()
export class StrictValidationPipe implements PipeTransform {
  private readonly validation = new JsonValidationPipe({
    ...STRICT_VALIDATION,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationFailed(fieldErrorsOf(errors)),
  });

  /** Per query DTO: whether a request without query parameters passes it (decided once, see transform). */
  private readonly emptyQueryPasses = new Map<Type<unknown>, boolean>();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Parameters from custom decorators (the signed-in actor) and untyped ones are not input: hand them
    // through without a promise, as they sit on every request's path.
    if (metadata.type === 'custom' || !metadata.metatype || PASS_THROUGH.has(metadata.metatype)) return value;
    // Most signed-in reads carry no query string: whether an empty one passes a DTO never changes, so it is
    // validated once per DTO, and such requests get their (empty) DTO without a validation round.
    // (No DTO uses @Expose, so what plainToInstance makes of `{}` is a bare instance.)
    if (metadata.type === 'query' && isEmptyObject(value) && this.passesEmpty(metadata.metatype)) {
      return new (metadata.metatype as new () => unknown)();
    }
    if (metadata.type === 'body' && metadata.metatype !== Object) {
      if (value === undefined) throw HttpErrors.BODY_REQUIRED();
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw HttpErrors.BODY_NOT_OBJECT();
      }
    }
    return this.validation.transform(value, metadata);
  }

  private passesEmpty(metatype: Type<unknown>): boolean {
    let passes = this.emptyQueryPasses.get(metatype);
    if (passes === undefined) {
      passes = validateSync(plainToInstance(metatype, {}) as object, { forbidUnknownValues: true }).length === 0;
      this.emptyQueryPasses.set(metatype, passes);
    }
    return passes;
  }
}

function isEmptyObject(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const _key in value) return false;
  return true;
}
