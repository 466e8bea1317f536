export * from './delivery.module';
export * from './webhook-sender';
export * from './message-ingest.service';
export * from './delivery-attempt.service';
export * from './delivery-sweeper.service';
export * from './operational-events.service';
export * from './version';
