/**
 * `npm run bench`: runs each section (each starts what it needs: embedded or TEST_DATABASE_URL Postgres,
 * the app, local SMTP sinks) and prints one table of figures with same-run baselines and ratios.
 * Sections are listed in bench/sections.ts; pass section names as arguments to run a subset.
 */
import 'reflect-metadata';
import { printRows, Row } from './harness';
import { startBenchPostgres } from './postgres';
import { SECTIONS } from './sections';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const rows: Row[] = [];
  const postgres = await startBenchPostgres();
  try {
    for (const section of SECTIONS) {
      if (wanted.length > 0 && !wanted.includes(section.name)) continue;
      process.stderr.write(`bench: ${section.name}…\n`);
      rows.push(...(await section.run()));
    }
  } finally {
    await postgres.stop();
  }
  printRows(rows);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
