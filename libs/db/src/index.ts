export * from './db.module';
export * from './prisma.service';
export * from './pagination';
export * from './tenant.repository';
export * from './api-key.repository';
export * from './database-check';
export * from './application.repository';
