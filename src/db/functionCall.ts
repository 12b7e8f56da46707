/** `SELECT name($1, …, $count)`: a call of a server-side function with `count` positional parameters. */
export function functionCall(name: string, count: number): string {
  return `SELECT ${name}(${Array.from({ length: count }, (_, index) => `$${index + 1}`).join(', ')})`;
}
