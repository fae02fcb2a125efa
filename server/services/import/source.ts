/**
 * Where a file's text comes from: a path on disk, read in chunks (a 10M-row
 * file is never one string), or text already in memory (an upload). Before a
 * file is imported its encoding is checked from end to end, so a file that is
 * not UTF-8 is refused whole instead of half-imported.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export const READ_CHUNK_BYTES = 4 << 20;
const TEXT_CHUNK_CHARS = 1 << 20;

export type EncodingProblem = { reason: string };

export interface Source {
  readonly name: string;
  /** Bytes (files) or characters (in memory): the unit of progress. */
  readonly size: number;
  /** Checks the encoding; null when the text can be read. */
  checkEncoding(): EncodingProblem | null;
  /** The decoded text in chunks, BOM removed. `progress` receives the units read so far. */
  chunks(progress?: (done: number) => void): Generator<string>;
}

export function fileSource(path: string): Source {
  return new FileSource(path);
}

export function textSource(name: string, content: string): Source {
  return new TextSource(name, content);
}

class FileSource implements Source {
  readonly name: string;
  readonly size: number;

  constructor(private readonly path: string) {
    this.name = basename(path);
    const fd = openSync(path, 'r');
    try {
      this.size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  checkEncoding(): EncodingProblem | null {
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES + 4);
      let carried = 0; // bytes of an incomplete UTF-8 sequence kept from the previous chunk
      let offset = 0;
      let lines = 0; // line breaks before buf[0]
      let first = true;
      for (;;) {
        const read = readSync(fd, buf, carried, READ_CHUNK_BYTES, offset);
        offset += read;
        const n = carried + read;
        if (first) {
          first = false;
          const bomProblem = sniffEncoding(buf.subarray(0, n));
          if (bomProblem) return bomProblem;
        }
        if (read === 0) {
          if (carried > 0) return notUtf8(lines + 1);
          return null;
        }
        const cut = completeUtf8Prefix(buf, n);
        const view = buf.subarray(0, cut);
        if (!isUtf8(view)) return notUtf8(lines + 1 + countLF(view, firstInvalidUtf8(view)));
        lines += countLF(view, cut);
        buf.copy(buf, 0, cut, n);
        carried = n - cut;
      }
    } finally {
      closeSync(fd);
    }
  }

  *chunks(progress?: (done: number) => void): Generator<string> {
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const decoder = new StringDecoder('utf8');
      let offset = 0;
      let first = true;
      for (;;) {
        const read = readSync(fd, buf, 0, READ_CHUNK_BYTES, offset);
        if (read === 0) break;
        offset += read;
        let text = decoder.write(buf.subarray(0, read));
        if (first) {
          first = false;
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        progress?.(offset);
        yield text;
      }
      const rest = decoder.end();
      if (rest) yield rest;
    } finally {
      closeSync(fd);
    }
  }
}

class TextSource implements Source {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly content: string,
  ) {
    this.size = content.length;
  }

  checkEncoding(): EncodingProblem | null {
    const head = this.content.slice(0, 4096);
    // A UTF-16 file decoded as UTF-8 on its way here shows its zero bytes as NULs.
    let nuls = 0;
    for (let i = 0; i < head.length; i++) if (head.charCodeAt(i) === 0) nuls++;
    if (nuls > 0 && nuls * 4 >= head.length) {
      return { reason: 'the file looks like UTF-16 (every other byte is zero): save it as UTF-8' };
    }
    const bad = this.content.indexOf('\uFFFD');
    if (bad >= 0) {
      return {
        reason: `the file was not valid UTF-8 when it was read (a replacement character on line ${1 + countChar(this.content, '\n', bad)}): save it as UTF-8`,
      };
    }
    return null;
  }

  *chunks(progress?: (done: number) => void): Generator<string> {
    let text = this.content;
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    for (let i = 0; i < text.length; i += TEXT_CHUNK_CHARS) {
      const end = Math.min(text.length, i + TEXT_CHUNK_CHARS);
      progress?.(end);
      yield text.slice(i, end);
    }
  }
}

/** Refuses byte-order marks and zero-byte patterns of encodings other than UTF-8. */
export function sniffEncoding(head: Buffer): EncodingProblem | null {
  const b0 = head[0];
  const b1 = head[1];
  if (b0 === 0xff && b1 === 0xfe) {
    return head[2] === 0 && head[3] === 0
      ? { reason: 'the file is UTF-32 (little-endian): save it as UTF-8' }
      : { reason: 'the file is UTF-16 (little-endian, as Excel writes "Unicode text"): save it as CSV UTF-8' };
  }
  if (b0 === 0xfe && b1 === 0xff) return { reason: 'the file is UTF-16 (big-endian): save it as CSV UTF-8' };
  if (b0 === 0 && b1 === 0 && head[2] === 0xfe && head[3] === 0xff) return { reason: 'the file is UTF-32 (big-endian): save it as UTF-8' };
  const n = Math.min(head.length, 4096);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (head[i] === 0) zeros++;
  if (zeros > 0 && zeros * 4 >= n) {
    return { reason: 'the file looks like UTF-16 without a byte-order mark (every other byte is zero): save it as CSV UTF-8' };
  }
  return null;
}

function notUtf8(line: number): EncodingProblem {
  return {
    reason: `the file is not valid UTF-8 (first invalid byte on line ${line}; Windows-1252 or Latin-1 perhaps): save it as CSV UTF-8`,
  };
}

/** The length of the prefix of buf[0..n) that does not end inside a UTF-8 sequence. */
function completeUtf8Prefix(buf: Buffer, n: number): number {
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    if (b < 0x80) return n;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Index of the first byte that breaks UTF-8 (only called once a chunk is known to be invalid). */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

function countLF(buf: Buffer, end: number): number {
  let count = 0;
  let i = buf.indexOf(10);
  while (i >= 0 && i < end) {
    count++;
    i = buf.indexOf(10, i + 1);
  }
  return count;
}

function countChar(text: string, ch: string, end: number): number {
  let count = 0;
  let i = text.indexOf(ch);
  while (i >= 0 && i < end) {
    count++;
    i = text.indexOf(ch, i + 1);
  }
  return count;
}
