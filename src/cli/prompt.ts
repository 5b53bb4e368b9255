// Wallet passwords: from KADCHAIN_PASSWORD, else a hidden prompt on a terminal, else one line of
// piped standard input. The prompt goes to stderr so stdout stays clean for a command's output.
import { CliError } from './errors.js';

export const PASSWORD_ENV = 'KADCHAIN_PASSWORD';

export interface PasswordOptions {
  /** Ask twice on a terminal (new wallets). */
  confirm?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** True when a password can come from somewhere without blocking on a pipe. */
export function passwordAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[PASSWORD_ENV] !== undefined || Boolean(process.stdin.isTTY);
}

export async function readPassword(question: string, opts: PasswordOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const fromEnv = env[PASSWORD_ENV];
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
  if (line === undefined) throw new CliError(`no password: set ${PASSWORD_ENV} or run in a terminal`);
  return line;
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
      else if (buf.length > 4096) finish(buf);
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
