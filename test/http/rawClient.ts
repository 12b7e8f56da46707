import net from 'node:net';
import type { ApiResponse } from '../support/service.js';

// A client that speaks HTTP/1.1 byte by byte over a real socket, for what fetch cannot send:
// malformed requests, requests that trickle in, sockets that stay silent.

export interface RawExchange {
  /** Everything the server sent before it closed the connection. */
  received: string;
  /** Milliseconds from connecting until the server ended the connection (FIN or reset). */
  closedAfterMs: number;
  /** Set when the connection did not end within the wait. */
  stillOpen: boolean;
}

/** Opens a connection, lets `drive` write to it, and waits until the server ends it or `waitMs` passes. */
export function rawExchange(port: number, drive: (socket: net.Socket) => void, waitMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => drive(socket));
    let received = '';
    let settled = false;
    const settle = (stillOpen: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closedAfterMs: Date.now() - startedAt, stillOpen });
    };
    const timer = setTimeout(() => settle(true), waitMs);
    socket.on('data', (chunk) => (received += chunk));
    socket.on('end', () => settle(false));
    socket.on('error', () => settle(false));
    socket.on('close', () => settle(false));
  });
}

/** Writes `text` one character every `everyMs` while the socket stays writable. */
export function trickle(socket: net.Socket, text: string, everyMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (index >= text.length || !socket.writable) return clearInterval(timer);
    socket.write(text[index++]!);
  }, everyMs);
}

/** Sends one complete request and returns the raw bytes of everything the server sent back. */
export async function sendRaw(port: number, request: string | Buffer, waitMs = 2_000): Promise<RawExchange> {
  return rawExchange(port, (socket) => socket.write(request), waitMs);
}

/** Parses the first response in raw bytes into the shape the HTTP test helpers assert on. */
export function parseResponse(raw: string): ApiResponse {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) throw new Error(`no complete response in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...headerLines] = raw.slice(0, headerEnd).split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const text = Buffer.from(raw.slice(headerEnd + 4)).subarray(0, length).toString();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, headers, body, raw: text };
}

/** How many HTTP responses (status lines) the raw bytes hold. */
export function countResponses(raw: string): number {
  return raw.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
}
