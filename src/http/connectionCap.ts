import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { isBetweenRequests } from './exchanges.js';

// At most `connectionsMax` open connections, so that clients can never take the file descriptors
// the database pool needs. Past the cap, the oldest connection with no request in progress (one
// that never sent a complete request, or sits idle between requests) is closed to make room: a
// client holding hundreds of idle sockets then delays nobody. Only when every connection is
// serving a request is the new one refused. (Node's server.maxConnections would refuse the
// newcomer instead, and leave the idle sockets in place until their timeouts.)

export function capConnections(server: Server, connectionsMax: number): void {
  // Insertion order: the first idle one found is the oldest.
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= connectionsMax) {
      const idle = oldestIdle(open);
      if (idle === undefined) {
        socket.destroy();
        return;
      }
      open.delete(idle);
      idle.destroy();
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

function oldestIdle(open: Set<Socket>): Socket | undefined {
  for (const socket of open) if (isBetweenRequests(socket)) return socket;
  return undefined;
}
