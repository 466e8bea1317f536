import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';

/**
 * A maintenance task run on a timer in this worker process (not a BullMQ schedule, so it keeps running when
 * Redis loses its keys): the first tick at bootstrap, the next one `intervalMs` after the last one ended, or
 * at once when a tick says it has more to do. A failed tick (PostgreSQL down) is logged and the next one tries
 * again. Shutdown stops the timer and waits for a running tick. Which worker does the work, when only one
 * should, is the task's own business (an advisory lock in its service).
 */
export abstract class PeriodicLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  /** `what` names the task in the log line of a failed tick. */
  protected constructor(
    private readonly what: string,
    private readonly intervalMs: number,
  ) {}

  /** One run of the task; true when there is more to do now (the next tick starts at once). */
  protected abstract tick(): Promise<boolean>;

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      let again = false;
      this.running = this.runTick()
        .then((more) => {
          again = more;
        })
        .finally(() => {
          this.running = undefined;
          this.schedule(again ? 0 : this.intervalMs);
        });
    }, delayMs);
  }

  private async runTick(): Promise<boolean> {
    try {
      return await this.tick();
    } catch (error) {
      this.logger.warn({ err: error }, `${this.what} tick failed; the next one will try again`);
      return false;
    }
  }
}
