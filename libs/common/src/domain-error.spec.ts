import { CommonErrors, defineErrors, DomainError, ErrorCodeOf, fieldError, notFound, validationFailed } from './domain-error';

const Sample = defineErrors({
  THING_MISSING: 'not_found',
  THING_LOCKED: { kind: 'conflict', detail: 'The thing is locked.' },
});

describe('defineErrors', () => {
  it('gives a constructor per code with its kind, default detail, field errors and extensions', () => {
    const locked = Sample.THING_LOCKED(undefined, { errors: [fieldError('id', 'unlocked', 'must be unlocked')], extensions: { retry: 1 } });
    expect(locked).toBeInstanceOf(DomainError);
    expect(locked).toMatchObject({
      code: 'THING_LOCKED',
      kind: 'conflict',
      detail: 'The thing is locked.',
      errors: [{ field: 'id', rule: 'unlocked', message: 'must be unlocked' }],
      extensions: { retry: 1 },
    });
    expect(Sample.THING_MISSING('No thing here.')).toMatchObject({ code: 'THING_MISSING', kind: 'not_found', detail: 'No thing here.' });
    const code: ErrorCodeOf<typeof Sample> = Sample.THING_MISSING.code;
    expect(code).toBe('THING_MISSING');
  });

  it('recognises its errors by code, wherever they were built', () => {
    expect(Sample.THING_MISSING.is(new DomainError('THING_MISSING', 'not_found', 'x'))).toBe(true);
    expect(Sample.THING_MISSING.is(Sample.THING_LOCKED())).toBe(false);
    expect(Sample.THING_MISSING.is(new Error('THING_MISSING'))).toBe(false);
  });

  it('builds VALIDATION_FAILED and NOT_FOUND the way every library words them', () => {
    const errors = [fieldError('port', 'max', 'must not be greater than 65535')];
    expect(validationFailed(errors)).toMatchObject({
      code: 'VALIDATION_FAILED',
      kind: 'invalid',
      detail: 'The request has invalid fields.',
      errors,
    });
    expect(validationFailed(errors, 'Say why.').detail).toBe('Say why.');
    expect(CommonErrors.VALIDATION_FAILED.is(validationFailed(errors))).toBe(true);
    expect(notFound('Organization')).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found', detail: 'Organization was not found' });
  });
});
