// Child process for store tests: opens a Chain on argv[2] and reports on stdout, then waits.
import { Chain } from '../../src/chain/index.js';
import { testGenesis } from './fixtures.js';

const chain = await Chain.open({ dataDir: process.argv[2]!, genesis: testGenesis() });
process.stdout.write(`open ${chain.tip.height}\n`);
process.stdin.resume();
process.stdin.on('end', () => void chain.close().then(() => process.exit(0)));
