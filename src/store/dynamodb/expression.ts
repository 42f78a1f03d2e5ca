/**
 * Builds DynamoDB expressions with every attribute name and value as a
 * placeholder (no clash with reserved words, no injection through values), and
 * only the placeholders used (DynamoDB refuses unused ones).
 */
export class Expr {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private count = 0;

  /** `#name` for an attribute (letters, digits and underscores only). */
  n(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** `:vN` for a value. */
  v(value: unknown): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `SET #a = :v0, #b = :v1` for the defined entries of `fields`. */
  set(fields: Record<string, unknown>): string[] {
    return Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${this.n(name)} = ${this.v(value)}`);
  }

  /** The placeholder maps, omitted when empty. */
  params(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** `SET a, b REMOVE c, d` from its parts, skipping empty clauses. */
export function updateExpression(set: string[], remove: string[] = []): string {
  return [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
}
