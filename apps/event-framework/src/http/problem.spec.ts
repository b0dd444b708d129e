import { HttpException, Logger } from '@nestjs/common';
import { DomainError } from '@mailstrata/common';
import type { FastifyRequest } from 'fastify';
import { toProblem } from './problem';

const request = { id: 'corr-1', url: '/x?y=1', method: 'POST' } as unknown as FastifyRequest;

describe('toProblem', () => {
  it('maps a domain error to its status, code, field errors and extensions', () => {
    const { problem } = toProblem(
      new DomainError(
        'SECRET_REQUIRED',
        'invalid',
        'Send the password again.',
        [{ field: 'password', rule: 'required', message: 'is required' }],
        {
          stage: 'AUTH',
        },
      ),
      request,
    );
    expect(problem).toEqual({
      type: 'urn:mailstrata:problem:secret-required',
      title: 'Bad Request',
      status: 400,
      code: 'SECRET_REQUIRED',
      detail: 'Send the password again.',
      instance: '/x',
      correlation_id: 'corr-1',
      errors: [{ field: 'password', rule: 'required', message: 'is required' }],
      stage: 'AUTH',
    });
  });

  it('answers an unexpected error with a generic 500 carrying the correlation id, and logs the error', () => {
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const { problem } = toProblem(new Error('connection string postgres://u:secret@db failed'), request);
      expect(problem.status).toBe(500);
      expect(problem.code).toBe('INTERNAL');
      expect(problem.detail).toContain('corr-1');
      expect(JSON.stringify(problem)).not.toContain('secret');
      expect(log).toHaveBeenCalledWith(expect.objectContaining({ correlationId: 'corr-1' }), 'unhandled error');
    } finally {
      log.mockRestore();
    }
  });

  it('never lets an extension override the standard members', () => {
    const { problem } = toProblem(new DomainError('X', 'conflict', 'd', [], { status: 200, code: 'OK' }), request);
    expect(problem.status).toBe(409);
    expect(problem.code).toBe('X');
  });

  it('keeps Nest HTTP exceptions in the same shape', () => {
    const { problem } = toProblem(new HttpException('Request body is too large', 413), request);
    expect(problem).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});
