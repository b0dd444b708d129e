import { Module } from '@nestjs/common';
import { DrainState } from './drain-state';

/** Shutdown state shared by main.ts (which drives it), the readiness probe and the HTTP hooks. */
@Module({ providers: [DrainState], exports: [DrainState] })
export class LifecycleModule {}
