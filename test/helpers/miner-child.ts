// Child for the "no stray threads" test: starts a Miner on a temp chain, mines one block, stops,
// and must then exit on its own (any live worker would keep the process running).
import { Miner } from '../../src/miner/index.js';
import { testGenesis, testAddress } from './fixtures.js';
import { tempDir, openChainAt } from './chain-helpers.js';

const dir = tempDir();
const chain = await openChainAt(dir.path, testGenesis());
const miner = new Miner({ chain, minerAddress: testAddress('miner'), threads: 2 });
const mined = new Promise((r) => miner.once('mined', r));
miner.start();
await mined;
await miner.stop();
await chain.close();
dir.cleanup();
process.stdout.write('stopped\n');
