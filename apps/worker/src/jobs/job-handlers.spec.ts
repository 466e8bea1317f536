import { assertRegistryComplete, JobHandlers } from './job-handlers';

describe('job registry check at worker start', () => {
  const handlers: JobHandlers = {
    DeliveryAttemptV1: () => Promise.resolve(),
    SweepDeliveriesV1: () => Promise.resolve(),
    TenantPurgeV1: () => Promise.resolve(),
  };
  const queues = ['delivery', 'maintenance'] as const;

  it('passes when every job has a handler and every queue a processor', () => {
    expect(() => assertRegistryComplete(handlers, [...queues])).not.toThrow();
  });

  it('names the job whose handler is missing', () => {
    const broken = { ...handlers, TenantPurgeV1: undefined } as unknown as JobHandlers;
    expect(() => assertRegistryComplete(broken, [...queues])).toThrow('Job TenantPurgeV1 has no handler');
  });

  it('names the queue that no processor consumes', () => {
    expect(() => assertRegistryComplete(handlers, ['delivery'])).toThrow(
      'Queue maintenance (job SweepDeliveriesV1)',
    );
  });
});
