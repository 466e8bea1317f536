export * from './jobs';
export * from './redis-connection';
export * from './bull-connection';
export * from './job.producer';
export * from './queue.module';
export * from './rate-limiter';
export * from './shared-cache';
