// How logs and metrics name a broker: its URL without the user name and password (and without
// the query string, which could carry credentials too), e.g. `amqps://rabbit-1.internal:5671/ledger`.

export function brokerAddress(url: string): string {
  const parsed = new URL(url);
  const vhost = parsed.pathname === '' || parsed.pathname === '/' ? '' : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${vhost}`;
}
