// Write failures: classifies a failed LevelDB write (out of space, or the free-space floor; or
// another I/O failure) and tracks a store's write health. The node pauses its writers on either
// and resumes when a probe write succeeds.
export type WriteFailureKind = 'disk-full' | 'io-error';

/** Text LevelDB (and the OS) use for a full disk; classic-level surfaces only the message. */
const NO_SPACE = /no space left on device|enospc|disk quota exceeded|edquot/i;

export function classifyWriteError(e: unknown): WriteFailureKind {
  const parts: string[] = [];
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    parts.push(String((cur as { code?: unknown }).code ?? ''), String((cur as { message?: unknown }).message ?? cur));
  }
  return NO_SPACE.test(parts.join(' ')) ? 'disk-full' : 'io-error';
}

/**
 * A store's write health: failing from a failed write until the next good one, and whether the
 * memtable must be flushed (LevelDB's log writer may have left a torn record, and on recovery it
 * drops the rest of that log block, so what the memtable holds must reach a table file).
 */
export class WriteHealth {
  private failingNow = false;
  private needsFlush = false;

  constructor(private readonly report: { failed(kind: WriteFailureKind, message: string): void; ok(): void }) {}

  get failing(): boolean {
    return this.failingNow;
  }

  /** Classifies and reports a failure; returns the kind and the text of the error to throw. */
  failed(e: unknown, message: string): WriteFailureKind {
    const kind = classifyWriteError(e);
    this.failingNow = true;
    this.needsFlush = true;
    this.report.failed(kind, message);
    return kind;
  }

  ok(): void {
    if (!this.failingNow) return;
    this.failingNow = false;
    this.report.ok();
  }

  async flushIfNeeded(flush: () => Promise<void>): Promise<void> {
    if (!this.needsFlush) return;
    await flush();
    this.needsFlush = false;
  }
}
