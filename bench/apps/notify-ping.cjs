// Bench app: an app written for systemd's watchdog, in Node (through node-unix-socket, as Node
// has no AF_UNIX datagram socket): READY=1 once, then WATCHDOG=1 every second on $NOTIFY_SOCKET.
const { DgramSocket } = require('node-unix-socket');

const socket = new DgramSocket();
const send = (text) => {
  const message = Buffer.from(text);
  socket.sendTo(message, 0, message.length, process.env.NOTIFY_SOCKET);
};
send('READY=1\nSTATUS=pinging');
setInterval(() => send('WATCHDOG=1'), 1000);
