// Run by the agent (child_process.fork) to open listening sockets for socket activation: it
// listens on each address and hands the raw handles back over IPC, then exits. The agent thus
// holds listening sockets without an accept loop of its own, so it never takes a connection
// meant for the app.
import { createServer, type Server } from 'node:net';

const addresses = JSON.parse(process.argv[2] ?? '[]') as { host: string; port: number }[];
const servers: Server[] = [];
let handedOver = 0;

function fail(message: string): never {
  process.send?.({ error: message });
  process.exit(1);
}

for (const [index, { host, port }] of addresses.entries()) {
  const server = createServer();
  servers.push(server);
  server.once('error', (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));
  server.listen({ host, port, backlog: 511 }, () => {
    const handle = (server as unknown as { _handle: object })._handle;
    process.send?.({ index }, handle as never, () => {
      if (++handedOver === addresses.length) process.exit(0);
    });
  });
}
