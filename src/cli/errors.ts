// The CLI's own error: a message for stderr and an exit code. Everything a command throws is
// turned into one line on stderr and a non-zero exit by main.ts; only bugs show a stack trace.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
