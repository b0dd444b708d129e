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
  auditBench,
  effectiveConfigBench,
  effectiveScaleBench,
  mailerBench,
  natsBench,
  sendApiBench,
  httpBench,
  consoleBench,
];
