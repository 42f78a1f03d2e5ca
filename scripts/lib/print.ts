/**
 * Terminal output of the local tools: a label column (a time, say), where a
 * surface lands, then what it shows, continuation lines aligned under it.
 */
export function printLines(where: string, lines: readonly string[], prefix = ''): void {
  const [first = '', ...rest] = lines;
  const head = `${prefix}${where.padEnd(30)} `;
  console.log(`${head}${first}`);
  for (const line of rest) console.log(`${' '.repeat(head.length)}${line}`);
}
