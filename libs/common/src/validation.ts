/**
 * class-validator failures as `{field, rule, message}`: the one rendering of request validation, used by
 * the HTTP pipe for DTOs and by libraries that validate input after their own pre-step (a merged PATCH).
 */
import type { ValidationError, ValidatorOptions } from 'class-validator';
import type { FieldError } from './domain-error';

/** class-validator's names for its built-in failures, as the rules callers see. */
const RULE_NAMES: Record<string, string> = { whitelistValidation: 'unknown_field', nestedValidation: 'isObject' };

/** Unknown fields refused, never stripped; failures carry neither the object nor the submitted value (it may be a secret). */
export const STRICT_VALIDATION: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/**
 * Flattens nested failures into dotted paths under `parent` (array items by index: `a.0.b`).
 * `firstRuleOnly` keeps each field's first failing rule (rules run in declaration order, bottom up).
 * `ownMessages` says every rule wrote its message without the property name, so none is cut from it.
 */
export function fieldErrorsOf(
  errors: ValidationError[],
  parent = '',
  options: { firstRuleOnly?: boolean; ownMessages?: boolean } = {},
): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const failures = Object.entries(error.constraints ?? {});
    for (const [constraint, message] of options.firstRuleOnly ? failures.slice(0, 1) : failures) {
      const rule = RULE_NAMES[constraint] ?? constraint;
      out.push({
        field,
        rule,
        // class-validator's own messages start with the property name, which the field already says.
        message:
          rule === 'unknown_field'
            ? 'is not a known field'
            : !options.ownMessages && message.startsWith(`${error.property} `)
              ? message.slice(error.property.length + 1)
              : message,
      });
    }
    if (error.children?.length) out.push(...fieldErrorsOf(error.children, field, options));
  }
  return out;
}
