// A bench child process that talks in JSON lines: the parent writes commands on its stdin and
// reads one JSON object per line from its stdout, each read bounded so a hung child cannot hang
// the bench (it is killed and the read fails).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineChild {
  proc: ChildProcess;
  /** The child's next stdout line as JSON; a child that ends first is an error. */
  next: () => Promise<Record<string, number>>;
}

/** Starts `node [...nodeArgs] script [...args]`; `name` labels errors. */
export function lineChild(script: string, args: string[], name: string, nodeArgs: string[] = [], timeoutMs = 120_000): LineChild {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const t = setTimeout(() => proc.kill(), timeoutMs);
    try {
      const r = await lines.next();
      if (r.done) throw new Error(`bench child ${name} ended early`);
      return JSON.parse(r.value) as Record<string, number>;
    } finally {
      clearTimeout(t);
    }
  };
  return { proc, next };
}
