/**
 * Field decorators shared by the DTOs, in class-validator's style so failures render like every other
 * rule (`{field, rule, message}`).
 */
import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The field may be left out, but not sent as null: class-validator's IsOptional skips null too, which
 * would hand `null` to code that only expects a value or nothing.
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** A string with at least one non-whitespace character (IsNotEmpty lets "   " through, and names are stored trimmed). */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notBlank',
      validator: {
        validate: (value) => typeof value === 'string' && value.trim() !== '',
        defaultMessage: () => '$property must not be blank',
      },
    },
    options,
  );
}

/** Lower-cases a string before validation (ids compare lower-case); anything else is left for the rules to refuse. */
export function LowerCase(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value));
}

/**
 * A rule of its own name and message, for the checks class-validator has no decorator for. `test`
 * answers whether the value passes; it sees the whole object for cross-field rules. The message may be
 * made from the refused value (never echo it: name positions, not content).
 */
export function Rule(
  name: string,
  message: string | ((value: unknown, property: string) => string),
  test: (value: unknown, object: object) => boolean,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value, args) => test(value, args?.object ?? {}),
      defaultMessage: (args) => (typeof message === 'string' ? message : message(args?.value, args?.property ?? '')),
    },
  });
}

/**
 * An integer from `min` to `max`, reported once: `isInt` for anything that is not one (a path or query
 * value arrives as text: pair it with a Number transform), else `min` or `max`.
 */
export function IntegerBetween(min: number, max: number): PropertyDecorator {
  const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  return (target, key) => {
    Rule('isInt', 'must be an integer', isInteger)(target, key);
    Rule('min', `must not be less than ${min}`, (v) => !isInteger(v) || v >= min)(target, key);
    Rule('max', `must not be greater than ${max}`, (v) => !isInteger(v) || v <= max)(target, key);
  };
}
