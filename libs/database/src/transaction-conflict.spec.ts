import { isTransactionConflict, retryOnConflict } from './transaction-conflict';

const pgError = (code: string) => Object.assign(new Error(`postgres ${code}`), { code });
/** How TypeORM wraps a driver error. */
const wrapped = (code: string) => Object.assign(new Error('QueryFailedError'), { driverError: pgError(code) });

describe('isTransactionConflict', () => {
  it('recognises deadlocks and serialization failures, bare or wrapped by TypeORM', () => {
    expect(isTransactionConflict(pgError('40P01'))).toBe(true);
    expect(isTransactionConflict(pgError('40001'))).toBe(true);
    expect(isTransactionConflict(wrapped('40P01'))).toBe(true);
  });

  it('does not take other errors for conflicts', () => {
    expect(isTransactionConflict(pgError('23505'))).toBe(false);
    expect(isTransactionConflict(wrapped('57014'))).toBe(false);
    expect(isTransactionConflict(new Error('boom'))).toBe(false);
    expect(isTransactionConflict(undefined)).toBe(false);
  });
});

describe('retryOnConflict', () => {
  it('runs again after a deadlock and answers what the next run answers', async () => {
    let runs = 0;
    const result = await retryOnConflict(async () => {
      runs += 1;
      if (runs < 3) throw wrapped('40P01');
      return 'booked';
    });
    expect(result).toBe('booked');
    expect(runs).toBe(3);
  });

  it('gives up after the attempts allowed and throws the last conflict', async () => {
    let runs = 0;
    const run = async () => {
      runs += 1;
      throw pgError('40001');
    };
    await expect(retryOnConflict(run, 2)).rejects.toMatchObject({ code: '40001' });
    expect(runs).toBe(2);
  });

  it('never repeats a statement that failed for another reason', async () => {
    let runs = 0;
    const run = async () => {
      runs += 1;
      throw pgError('23505');
    };
    await expect(retryOnConflict(run)).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });
});
