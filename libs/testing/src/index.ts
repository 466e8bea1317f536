export * from './test-config';
export * from './wait-for';
export * from './http-client';
