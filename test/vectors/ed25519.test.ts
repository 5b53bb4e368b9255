// Ed25519 through node:crypto with raw keys imported as JWK: RFC 8032 section 7.1 vectors, and the
// same keys imported through OpenSSL's DER decoders (the path before) as the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { datagramSigningKey, fromHex, generateKeyPair, keyPairFromSecret, publicKeyFromSecret, signDatagram, signMessage, verifyDatagram, toHex, verifySignature } from '../../src/crypto/index.js';


const RFC8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

test('RFC 8032 vectors: public key from secret, signature, verification', () => {
  for (const v of RFC8032) {
    assert.equal(toHex(publicKeyFromSecret(fromHex(v.secret))), v.public);
    assert.equal(toHex(signMessage(fromHex(v.message), fromHex(v.secret))), v.signature);
    assert.equal(verifySignature(fromHex(v.message), fromHex(v.signature), fromHex(v.public)), true);
    // One flipped bit in the message, the signature or the key: refused.
    const msg = fromHex(v.message + '00');
    assert.equal(verifySignature(msg, fromHex(v.signature), fromHex(v.public)), false);
    const sig = fromHex(v.signature);
    sig[5]! ^= 1;
    assert.equal(verifySignature(fromHex(v.message), sig, fromHex(v.public)), false);
    const pub = fromHex(v.public);
    pub[3]! ^= 1;
    assert.equal(verifySignature(fromHex(v.message), fromHex(v.signature), pub), false);
  }
});

test('keys imported as JWK sign and verify exactly as the same keys imported as DER', () => {
  const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
  const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
  for (let i = 0; i < 20; i++) {
    const k = generateKeyPair();
    const derPriv = createPrivateKey({ key: Buffer.concat([PKCS8, k.secretKey]), format: 'der', type: 'pkcs8' });
    const derPub = createPublicKey({ key: Buffer.concat([SPKI, k.publicKey]), format: 'der', type: 'spki' });
    assert.deepEqual(keyPairFromSecret(k.secretKey).publicKey, k.publicKey);
    const msg = new Uint8Array(Buffer.from(`message ${i}`));
    const ours = signMessage(msg, k.secretKey);
    assert.equal(toHex(ours), toHex(sign(null, msg, derPriv)));
    assert.equal(verify(null, msg, derPub, ours), true);
    assert.equal(verifySignature(msg, ours, k.publicKey), true);
  }
});

test('a malformed key or signature is refused, never thrown', () => {
  const k = generateKeyPair();
  const msg = new Uint8Array([1, 2, 3]);
  const sig = signMessage(msg, k.secretKey);
  assert.equal(verifySignature(msg, sig, k.publicKey.subarray(0, 31)), false);
  assert.equal(verifySignature(msg, sig.subarray(0, 63), k.publicKey), false);
  // Not a point on the curve (y = 2 has no x): nothing verifies against it.
  const notAPoint = new Uint8Array(32);
  notAPoint[0] = 2;
  assert.equal(verifySignature(msg, sig, notAPoint), false);
  assert.throws(() => signMessage(msg, k.secretKey.subarray(0, 16)), /expected 32-byte secret key, got 16/);
});

test('datagram signatures (libsodium): RFC 8032 vectors, and the same bytes as node:crypto for random keys', () => {
  for (const v of RFC8032) {
    const key = datagramSigningKey(fromHex(v.secret));
    assert.equal(toHex(signDatagram(fromHex(v.message), key)), v.signature);
    assert.equal(verifyDatagram(fromHex(v.message), fromHex(v.signature), fromHex(v.public)), true);
    const sig = fromHex(v.signature);
    sig[9]! ^= 0x10;
    assert.equal(verifyDatagram(fromHex(v.message), sig, fromHex(v.public)), false);
  }
  for (let i = 0; i < 20; i++) {
    const k = generateKeyPair();
    const msg = new Uint8Array(Buffer.from(`datagram ${i}`));
    const ours = signDatagram(msg, datagramSigningKey(k.secretKey));
    assert.equal(toHex(ours), toHex(signMessage(msg, k.secretKey)));
    assert.equal(verifySignature(msg, ours, k.publicKey), true);
    assert.equal(verifyDatagram(msg, signMessage(msg, k.secretKey), k.publicKey), true);
  }
  assert.equal(verifyDatagram(new Uint8Array(3), new Uint8Array(63), new Uint8Array(32)), false);
  assert.equal(verifyDatagram(new Uint8Array(3), new Uint8Array(64), new Uint8Array(31)), false);
  assert.throws(() => datagramSigningKey(new Uint8Array(16)), /expected a 32-byte secret key, got 16/);
});

test('generateKeyPair never hangs in a GC: 3 x 20,000 key pairs in a child with a tiny young generation', { timeout: 120_000 }, async () => {
  // Before: generateKeyPairSync + a JWK export of its key hung the process forever in
  // KeyGenJob::~KeyGenJob (a GC during the export finalized the job, which takes the key's lock the
  // export held): 2 of 3 such children hung. Each child here must finish within 30 s.
  const crypto = new URL('../../src/crypto/index.js', import.meta.url).href;
  const script = `const { generateKeyPair } = await import(${JSON.stringify(crypto)});
for (let i = 0; i < 20000; i++) if (generateKeyPair().publicKey.length !== 32) throw new Error('bad key');
console.log('ok');`;
  for (let run = 0; run < 3; run++) {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(signal, null, `child ${run} hung and was killed`);
    assert.equal(code, 0);
    assert.equal(out.trim(), 'ok');
  }
});
