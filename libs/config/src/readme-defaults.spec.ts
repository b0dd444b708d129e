import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './env.schema';

/**
 * Defaults are written once, in env.schema.ts. The README's configuration table repeats them for
 * readers, so this keeps the two from drifting: every default the table shows must be the schema's.
 */
describe('README configuration table', () => {
  const defaults: Record<string, unknown> = envSchema.parse({});
  const rows = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8')
    .split('\n')
    .filter((line) => /^\| `[A-Z][A-Z0-9_]+`/.test(line))
    .map((line) => line.split('|').map((cell) => cell.trim()));

  it('shows each variable’s schema default', () => {
    const compared: string[] = [];
    for (const [, names, shown] of rows) {
      const variables = [...names.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
      const values = shown.split(',').map((v) => v.trim().replace(/^`|`$/g, ''));
      if (variables.length !== values.length) continue;
      variables.forEach((variable, i) => {
        expect(Object.keys(envSchema.shape)).toContain(variable);
        const value = values[i];
        if (value === '—' || value.includes('$')) return;
        expect(`${variable}=${String(defaults[variable])}`).toBe(`${variable}=${value}`);
        compared.push(variable);
      });
    }
    expect(compared).toEqual(expect.arrayContaining(['PORT', 'HOST', 'HTTP_BODY_LIMIT_BYTES', 'EMAIL_JOB_LEASE_MS', 'LOG_LEVEL']));
  });
});
