import { Injectable } from '@nestjs/common';
import { SqlService } from './sql.service';

/** Named PostgreSQL advisory locks, so periodic work runs in one process at a time however many run it. */
@Injectable()
export class AdvisoryLocks {
  constructor(private readonly sql: SqlService) {}

  /** Runs `work` unless another process holds `name`; undefined when it does. */
  exclusively<R>(name: string, work: () => Promise<R>): Promise<R | undefined> {
    return this.sql.exclusively(name, work);
  }
}
