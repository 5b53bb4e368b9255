// The API's door settings: `--api-allow-host` through the CLI's config resolution, and the Host
// and Origin rules of HostPolicy for the bind addresses tests may not open (wildcards, LAN).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { resolveNodeConfig } from '../../../src/cli/config.js';
import { HostPolicy, hostName } from '../../../src/api/guards.js';

test('--api-allow-host is repeatable and comma-separated; KADCHAIN_API_ALLOW_HOST is the fallback', () => {
  const flags = resolveNodeConfig({ apiAllowHost: ['node.lan', 'a.example,b.example'] }, {}, '/tmp', '/home/x');
  assert.deepEqual(flags.apiAllowHosts, ['node.lan', 'a.example', 'b.example']);
  const env = resolveNodeConfig({}, { KADCHAIN_API_ALLOW_HOST: 'env.lan' }, '/tmp', '/home/x');
  assert.deepEqual(env.apiAllowHosts, ['env.lan']);
  assert.deepEqual(resolveNodeConfig({}, {}, '/tmp', '/home/x').apiAllowHosts, []);
});

test('Host rules: loopback always, the bound address, allowed names, "*"; Origin must name the same host', () => {
  assert.equal(hostName('[::1]:8420'), '::1');
  assert.equal(hostName('Node.LAN.:80'), 'node.lan');
  assert.equal(hostName('a:b:c'), undefined);
  const lan = new HostPolicy('192.168.7.9', ['wallet.lan']);
  for (const h of ['192.168.7.9:8420', 'localhost', '127.0.0.1', '[::1]', 'wallet.lan:8420', undefined]) assert.equal(lan.hostAllowed(h), true, String(h));
  for (const h of ['192.168.7.10', 'attacker.example', 'wallet.lan.attacker.example', '', '[::1']) assert.equal(lan.hostAllowed(h), false, h);
  // Bound to a wildcard: every address of this machine's interfaces is "the address it is bound to".
  const any = new HostPolicy('0.0.0.0');
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) assert.equal(any.hostAllowed(i.family === 'IPv6' ? `[${i.address}]:1` : `${i.address}:1`), true, i.address);
  assert.equal(any.hostAllowed('attacker.example'), false);
  assert.equal(new HostPolicy('127.0.0.1', ['*']).hostAllowed('anything.example'), true);

  assert.equal(lan.originAllowed(undefined, 'x'), true);
  assert.equal(lan.originAllowed('http://wallet.lan:8420', 'wallet.lan:8420'), true);
  assert.equal(lan.originAllowed('https://wallet.lan', 'wallet.lan'), true);
  assert.equal(lan.originAllowed('http://wallet.lan:8421', 'wallet.lan:8420'), false);
  assert.equal(lan.originAllowed('http://evil.example', 'wallet.lan:8420'), false);
  assert.equal(lan.originAllowed('null', 'wallet.lan:8420'), false);
  assert.equal(lan.originAllowed('http://wallet.lan:8420', undefined), false);
});
