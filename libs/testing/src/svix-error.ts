import { ApiException } from 'svix';

/** The ApiException an svix SDK call fails with; fails the test if the call succeeds or fails otherwise. */
export async function svixError(promise: Promise<unknown>): Promise<ApiException<any>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return error;
    throw error;
  }
  throw new Error('expected the SDK call to fail');
}
