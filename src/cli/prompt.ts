// Wallet passwords and confirmations: from --password-file FILE ("-": one line of standard input),
// else KADCHAIN_PASSWORD, else a hidden prompt on a terminal, else one line of piped standard input.
// KADCHAIN_PASSWORD is taken out of process.env when the CLI starts (takePasswordFromEnv), so it
// neither lingers for a node's lifetime nor leaks into child processes; whoever needs it gets it
// explicitly. Prompts go to stderr so stdout stays clean for a command's output.
import { closeSync, openSync } from 'node:fs';
import { readCapped } from './read-capped.js';
import { CliError } from './errors.js';

export const PASSWORD_ENV = 'KADCHAIN_PASSWORD';
/** Bound on a password file or line: a password, not a file someone pointed us at by mistake. */
const MAX_PASSWORD_BYTES = 4096;

let envPassword: string | undefined;

/** Moves KADCHAIN_PASSWORD from the environment into this module (call once at start-up). */
export function takePasswordFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const v = env[PASSWORD_ENV];
  if (v !== undefined) envPassword = v;
  delete env[PASSWORD_ENV];
}

export interface PasswordOptions {
  /** Ask twice on a terminal (new wallets). */
  confirm?: boolean;
  /** --password-file: a file whose first line is the password, or "-" for standard input. */
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
}

function envValue(env: NodeJS.ProcessEnv | undefined): string | undefined {
  return env?.[PASSWORD_ENV] ?? envPassword;
}

/** True when a password can come from somewhere without blocking on a pipe. */
export function passwordAvailable(opts: Pick<PasswordOptions, 'passwordFile' | 'env'> = {}): boolean {
  return opts.passwordFile !== undefined || envValue(opts.env) !== undefined || Boolean(process.stdin.isTTY);
}

/**
 * The first line of a password file (without its line ending). Read up to the cap and no further:
 * the file may be a pipe (`<(pass show x)`) or a device that never ends (/dev/zero).
 */
export function readPasswordFile(path: string): string {
  let buf: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    buf = readCapped(fd, MAX_PASSWORD_BYTES);
  } catch (e) {
    throw new CliError(`--password-file: cannot read ${path}: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buf.length > MAX_PASSWORD_BYTES) {
    buf.fill(0);
    throw new CliError(`--password-file: ${path} is more than ${MAX_PASSWORD_BYTES} bytes; expected a password`);
  }
  const text = buf.toString('utf8');
  buf.fill(0);
  return text.split(/\r?\n/, 1)[0]!;
}

export async function readPassword(question: string, opts: PasswordOptions = {}): Promise<string> {
  if (opts.passwordFile !== undefined) {
    if (opts.passwordFile !== '-') return readPasswordFile(opts.passwordFile);
    const line = await readLine();
    if (line === undefined) throw new CliError('--password-file -: standard input ended without a password');
    return line;
  }
  const fromEnv = envValue(opts.env);
  if (fromEnv !== undefined) return fromEnv;
  if (process.stdin.isTTY) {
    const first = await promptHidden(question);
    if (opts.confirm) {
      const again = await promptHidden('Repeat the password: ');
      if (again !== first) throw new CliError('the two passwords differ');
    }
    return first;
  }
  const line = await readLine();
  if (line === undefined) throw new CliError(`no password: pass --password-file FILE, set ${PASSWORD_ENV} or run in a terminal`);
  return line;
}

/** Asks a yes/no question on a terminal; anything but y/yes is no. Call only when stdin is a TTY. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await promptVisible(question);
  return /^y(es)?$/i.test(answer.trim());
}

function promptVisible(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve) => {
    let buf = '';
    const onData = (s: string): void => {
      buf += s;
      const nl = buf.indexOf('\n');
      if (nl >= 0 || buf.length > 256) {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        resolve(nl >= 0 ? buf.slice(0, nl) : buf);
      }
    };
    const onEnd = (): void => {
      stdin.off('data', onData);
      resolve(buf);
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** Reads characters in raw mode without echoing them. Ctrl-C cancels. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (s: string): void => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(chars.join(''));
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && chars.length === 0)) {
          done();
          reject(new CliError('cancelled', 130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else if (ch >= ' ') chars.push(ch);
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** First line of piped stdin (without the newline), or undefined at immediate end of input. */
function readLine(): Promise<string | undefined> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buf = '';
    let got = false;
    const finish = (v: string | undefined): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      resolve(v);
    };
    const onData = (s: string): void => {
      got = true;
      buf += s;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl).replace(/\r$/, ''));
      else if (buf.length > MAX_PASSWORD_BYTES) finish(buf);
    };
    const onEnd = (): void => finish(got ? buf.replace(/\r?\n$/, '') : undefined);
    const onError = (e: Error): void => {
      stdin.off('data', onData);
      reject(new CliError(`cannot read a password from standard input: ${e.message}`));
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}
