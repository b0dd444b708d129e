/**
 * `npm run bench`: runs each section (each starts what it needs: the app, local SMTP sinks, databases on
 * one shared embedded or TEST_DATABASE_URL Postgres) and prints one table of figures with same-run
 * baselines and ratios. Sections are listed in bench/sections.ts; pass section names as arguments to run
 * a subset.
 *
 * Each section runs in a process of its own, so that a section's heap, compiled code and lingering
 * handles cannot skew the figures of the next one.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { printRows, Row, settle } from './harness';
import { startBenchPostgres } from './postgres';
import { SECTIONS } from './sections';

const SECTION_ENV = 'MAILSTRATA_BENCH_SECTION';
/** Marks the rows line among whatever else the section's apps print. */
const ROWS_MARK = 'mailstrata-bench-rows ';

/** In a section's own process: run it and hand the rows back as JSON on stdout. */
async function runSection(name: string): Promise<void> {
  const section = SECTIONS.find((s) => s.name === name);
  if (!section) throw new Error(`no bench section ${name}`);
  const rows = await section.run();
  process.stdout.write(`\n${ROWS_MARK}${JSON.stringify(rows)}\n`);
}

async function main(): Promise<void> {
  const own = process.env[SECTION_ENV];
  if (own) return runSection(own);
  const wanted = process.argv.slice(2);
  const rows: Row[] = [];
  const failed: string[] = [];
  const postgres = await startBenchPostgres();
  try {
    for (const section of SECTIONS) {
      if (wanted.length > 0 && !wanted.includes(section.name)) continue;
      // Each section starts on a quiet machine: the last one's Postgres writes are checkpointed now.
      await postgres.checkpoint();
      const waited = await settle();
      process.stderr.write(`bench: ${section.name}… (after ${(waited / 1000).toFixed(1)} s for a quiet machine)\n`);
      // A section that fails (a missing browser, a dependency down) is reported and the run goes on: the
      // figures of the sections that worked were measured in this run and keep their value.
      try {
        // Node's own flags (e.g. --cpu-prof) reach the section's process, where the measured work runs.
        const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, __filename], {
          env: { ...process.env, [SECTION_ENV]: section.name },
          maxBuffer: 64 * 1024 * 1024,
        });
        const line = stdout.split('\n').find((l) => l.startsWith(ROWS_MARK));
        if (!line) throw new Error(`bench section ${section.name} printed no rows`);
        rows.push(...(JSON.parse(line.slice(ROWS_MARK.length)) as Row[]));
      } catch (error) {
        failed.push(section.name);
        const stderr = (error as { stderr?: string }).stderr;
        process.stderr.write(`bench: section ${section.name} failed: ${stderr?.trim() || String(error)}\n`);
      }
    }
  } finally {
    await postgres.stop();
  }
  printRows(rows);
  if (failed.length > 0) throw new Error(`bench sections failed: ${failed.join(', ')}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
