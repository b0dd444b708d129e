/**
 * Field decorators shared by the DTOs, in class-validator's style so failures render like every other
 * rule (`{field, rule, message}`).
 */
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
