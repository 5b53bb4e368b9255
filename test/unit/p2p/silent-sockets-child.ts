// Child process for budgets.test.ts: opens N silent TCP sockets to 127.0.0.1:PORT (never sending a
// byte), at most 200 connecting at once, then prints one JSON line {opened, closedByServer} and
// keeps whatever is still open until its parent goes away. Run apart from the server so the server
// process's RSS counts only the server side of the sockets.
import { connect, type Socket } from 'node:net';
import { exitWithParent } from '../../helpers/cleanup.js';

const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
const sockets: Socket[] = [];
let opened = 0;
let closedByServer = 0;

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    s.once('connect', () => {
      opened++;
      resolve();
    });
    s.once('close', () => {
      closedByServer++;
      resolve();
    });
    sockets.push(s);
  });
}

exitWithParent();
for (let i = 0; i < total; i += 200) await Promise.all(Array.from({ length: Math.min(200, total - i) }, () => openOne()));
process.stdout.write(JSON.stringify({ opened, closedByServer }) + '\n');
