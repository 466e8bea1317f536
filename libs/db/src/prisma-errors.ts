import { Prisma } from '@prisma/client';

/** A unique constraint refused the write (Prisma P2002): the caller turns it into a 409. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
