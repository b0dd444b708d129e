import { auditBench } from './audit.bench';
import { consoleBench } from './console.bench';
import { effectiveConfigBench } from './effective-config.bench';
import { effectiveScaleBench } from './effective-scale.bench';
import type { BenchSection } from './harness';
import { httpBench } from './http.bench';
import { mailerBench } from './mailer.bench';
import { natsBench } from './nats.bench';
import { sendApiBench } from './send-api.bench';

/**
 * Every benchmark section, in the order they run. A new section adds itself here. A section that loads the
 * API as a user runs it starts it with bench/processes.ts (`startService`, `serviceEnv`, `signedInOrgAdmin`
 * in http.bench.ts) rather than in-process.
 */
export const SECTIONS: BenchSection[] = [
  // The per-request CPU rows first: on these shared machines the same http section measured 75–78 µs per
  // signed-in read on its own and 87–99 µs after the write-heavy sections, with the machine idle between.
  httpBench,
  effectiveConfigBench,
  effectiveScaleBench,
  auditBench,
  mailerBench,
  natsBench,
  sendApiBench,
  consoleBench,
];
