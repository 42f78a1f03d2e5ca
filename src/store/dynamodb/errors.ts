/** Recognising DynamoDB's answers by name, whatever client class threw them. */

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** A conditional write whose condition did not hold: someone else won. */
export function isConditionFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

export function isMissingTable(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

export function isTableInUse(error: unknown): boolean {
  return errorName(error) === 'ResourceInUseException';
}

/**
 * Why each item of a cancelled TransactWriteItems failed, in item order:
 * `ConditionalCheckFailed`, `TransactionConflict`, `None`…; undefined when the
 * error is not a cancelled transaction.
 */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (errorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

/** Ignores a lost condition (the write was not needed any more); rethrows anything else. */
export async function unlessConditionFailed(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** A short pause with jitter before retrying a conflicting transaction. */
export function conflictPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
