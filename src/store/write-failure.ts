// Classifies a failed LevelDB write: out of space (ENOSPC, or the free-space floor) or another I/O
// failure. The node pauses its writers on either and resumes when a probe write succeeds.
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
