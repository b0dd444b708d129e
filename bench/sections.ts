import { auditBench } from './audit.bench';
import { effectiveConfigBench } from './effective-config.bench';
import type { BenchSection } from './harness';
import { mailerBench } from './mailer.bench';

/** Every benchmark section, in the order they run. A new section adds itself here. */
export const SECTIONS: BenchSection[] = [auditBench, effectiveConfigBench, mailerBench];
