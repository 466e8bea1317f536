export * from './test-config';
export * from './wait-for';
export * from './http-client';
export * from './test-receiver';
export * from './svix-error';
export * from './test-database';
export * from './stub-dns-server';
export * from './redis-cluster';
