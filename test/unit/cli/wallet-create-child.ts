// Child process for the key-file tests: creates wallets in a directory as fast as it can and prints
// "created NAME ADDRESS" or "exists NAME" per attempt. argv: dir, password, then the names to
// create in order ("*": w0, w1, ... until killed).
import { Keystore } from '../../../src/cli/keystore.js';
import { CliError } from '../../../src/cli/errors.js';

const [dir, password, ...names] = process.argv.slice(2);
const store = new Keystore(dir!);
const FAST = { N: 1024, r: 8, p: 1 };
const network = { name: 'kadchain-test', genesis: '00'.repeat(32) };

function attempt(name: string): void {
  try {
    const w = store.create(name, password!, { scrypt: FAST, network });
    process.stdout.write(`created ${name} ${w.address}\n`);
  } catch (e) {
    if (!(e instanceof CliError) || !/already exists/.test(e.message)) throw e;
    process.stdout.write(`exists ${name}\n`);
  }
}

process.stdout.write('ready\n');
for (const n of names) {
  if (n === '*') for (let i = 0; ; i++) attempt(`w${i}`);
  attempt(n);
}
