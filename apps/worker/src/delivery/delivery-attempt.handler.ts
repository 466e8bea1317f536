import { DelayedError } from 'bullmq';
import { deliveryJobId } from '@app/queue';
import type { DeliveryAttemptService, FlowControlService, Metrics } from '@app/delivery';
import type { JobHandler } from '../jobs/job-handlers';

/**
 * A delivery attempt job: ask flow control first (the job carries whose delivery it is, so a refused job
 * touches no PostgreSQL row), then attempt, then release the slots however the attempt ended. A refused job
 * goes back to the delayed set for the time flow control named and gives its worker slot up at once:
 * `moveToDelayed` + `DelayedError`, which BullMQ counts as neither a failure nor a retry.
 */
export function deliveryAttemptHandler(
  flow: FlowControlService,
  attempts: DeliveryAttemptService,
  metrics: Metrics,
): JobHandler<'DeliveryAttemptV2'> {
  return async (data, job, token) => {
    const admission = await flow.admit({
      tenantId: data.tenantId,
      applicationId: data.applicationId,
      endpointId: data.endpointId,
      // attemptsStarted counts this run too: a name per run, and > 1 once the job was deferred before.
      attemptKey: `${job.id}:${job.attemptsStarted}`,
      jobId: job.id ?? deliveryJobId(data.deliveryId, data.fence),
      returning: job.attemptsStarted > 1,
    });
    if (!admission.admitted) {
      metrics.deferred(admission.reason);
      if (!token) throw new Error(`Job ${job.id} has no lock token: it cannot be deferred.`);
      await job.moveToDelayed(Date.now() + admission.delayMs, token);
      throw new DelayedError(`deferred ${admission.delayMs} ms: ${admission.reason}`);
    }
    let responseMs: number | null = null;
    try {
      const report = await attempts.attempt(data.deliveryId, data.fence);
      responseMs = report.responseMs;
      return report.result;
    } finally {
      // The receiver's response time, when it was reached, teaches flow control how fast the endpoint is.
      await flow.release(admission.lease, responseMs);
    }
  };
}
