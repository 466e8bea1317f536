/** Sent as `user-agent: Hookrelay/<version>`; a unit test keeps it equal to package.json's version. */
export const HOOKRELAY_VERSION = '0.1.0';
