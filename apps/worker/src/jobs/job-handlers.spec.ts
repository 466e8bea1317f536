import { assertRegistryComplete, JobHandlers } from './job-handlers';

describe('job registry check at worker start', () => {
  const handlers: JobHandlers = {
    DeliveryAttemptV2: () => Promise.resolve(),
  };

  it('passes when every job has a handler and every queue a processor', () => {
    expect(() => assertRegistryComplete(handlers, ['delivery'])).not.toThrow();
  });

  it('names the job whose handler is missing', () => {
    const broken = { ...handlers, DeliveryAttemptV2: undefined } as unknown as JobHandlers;
    expect(() => assertRegistryComplete(broken, ['delivery'])).toThrow(
      'Job DeliveryAttemptV2 has no handler',
    );
  });

  it('names the queue that no processor consumes', () => {
    expect(() => assertRegistryComplete(handlers, [])).toThrow('Queue delivery (job DeliveryAttemptV2)');
  });
});
