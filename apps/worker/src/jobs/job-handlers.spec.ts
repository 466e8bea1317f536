import { assertRegistryComplete, JobHandlers } from './job-handlers';

describe('job registry check at worker start', () => {
  const handlers: JobHandlers = { TenantPurgeV1: () => Promise.resolve() };

  it('passes when every job has a handler and every queue a processor', () => {
    expect(() => assertRegistryComplete(handlers, ['maintenance'])).not.toThrow();
  });

  it('names the job whose handler is missing', () => {
    const broken = { ...handlers, TenantPurgeV1: undefined } as unknown as JobHandlers;
    expect(() => assertRegistryComplete(broken, ['maintenance'])).toThrow('Job TenantPurgeV1 has no handler');
  });

  it('names the queue that no processor consumes', () => {
    expect(() => assertRegistryComplete(handlers, [])).toThrow('Queue maintenance (job TenantPurgeV1)');
  });
});
