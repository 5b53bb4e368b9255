// Reading a user-named file without trusting what it is: at most `max + 1` bytes, so a pipe or a
// device that never ends (/dev/zero) costs one small buffer, and the caller sees "over the cap"
// as a length above `max` instead of reading on.
import { readSync } from 'node:fs';

/** Up to `max + 1` bytes from `fd` (a view of one zero-filled buffer: wiping the view wipes what was read). */
export function readCapped(fd: number, max: number): Buffer {
  const buf = Buffer.alloc(max + 1);
  let n = 0;
  for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
  return buf.subarray(0, n);
}
