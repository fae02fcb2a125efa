/**
 * A streaming RFC 4180 tokenizer that knows where it is: every record comes
 * with the physical line it starts on and the line it ends on, so errors point
 * at the line a person sees in an editor even when quoted fields contain line
 * breaks. See docs/decisions/003-import-design.md for why it is not uDSV.
 *
 * Fast path: a line without a quote is split with String#split (native).
 * Anything else (quotes, lone CRs, records spanning chunks) goes through a
 * small state machine. Memory is bounded whatever the input: a field keeps at
 * most `maxField + 1` characters (so the validator still sees it is too long),
 * a record at most `maxFields` fields, and an unclosed quote is read to its
 * end without being accumulated.
 *
 * Line breaks: LF, CRLF and a lone CR all end a line and, outside quotes, a record.
 */

export type RecordProblem = { kind: 'quote_in_unquoted' | 'text_after_quote' | 'unclosed_quote' | 'too_many_fields'; field: number };

export type RecordSink = (fields: string[], startLine: number, endLine: number, problems: RecordProblem[] | null) => void;

export type CsvOptions = { maxField: number; maxFields?: number };

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Text left over at a record boundary is carried to the next chunk unless it is this long. */
const CARRY_LIMIT = 1 << 20;
/** Longer lines go through the state machine, which caps what it keeps (a split would not). */
const FAST_LINE_LIMIT = 1 << 16;

function indexOrEnd(text: string, ch: string, from: number): number {
  const i = text.indexOf(ch, from);
  return i < 0 ? text.length : i;
}

// Tokenizer states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

export class CsvParser {
  private readonly maxField: number;
  private readonly maxFields: number;
  /** Physical line of the next character to read. */
  private line = 1;
  private carry = '';
  /** The previous character was a CR: a LF right after it belongs to the same line break. */
  private pendingCR = false;
  // state of a record being read by the slow path
  private inRecord = false;
  private state = FIELD_START;
  private fields: string[] = [];
  private field = '';
  private recordStart = 0;
  private problems: RecordProblem[] | null = null;
  private stopped = false;
  /** The last quoted text read ended with a line break (for the end line of an unclosed quote). */
  private quotedEndsWithBreak = false;

  constructor(
    private readonly sink: RecordSink,
    opts: CsvOptions,
  ) {
    this.maxField = opts.maxField;
    this.maxFields = opts.maxFields ?? 10_000;
  }

  /** Stops the parser: further input is ignored (the file was refused). */
  stop(): void {
    this.stopped = true;
    this.carry = '';
  }

  push(chunk: string): void {
    if (this.stopped || chunk.length === 0) return;
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    this.carry = '';
    const n = text.length;
    let p = 0;
    if (this.inRecord) {
      p = this.slow(text, 0, false);
      if (p < 0) return;
    }
    // Next LF, quote and CR at or after p (n when none): each is searched for
    // again only once p has passed it, so the scan stays linear.
    let nextLF = -1;
    let nextQuote = -1;
    let nextCR = -1;
    const sink = this.sink;
    while (p < n && !this.stopped) {
      if (this.pendingCR) {
        this.pendingCR = false;
        if (text.charCodeAt(p) === LF) {
          p++;
          continue;
        }
      }
      if (nextLF < p) nextLF = indexOrEnd(text, '\n', p);
      if (nextLF === n) {
        if (n - p <= CARRY_LIMIT) {
          this.carry = text.slice(p);
          return;
        }
        p = this.slow(text, p, false);
        if (p < 0) return;
        continue;
      }
      let end = nextLF;
      if (end > p && text.charCodeAt(end - 1) === CR) end--;
      if (nextQuote < p) nextQuote = indexOrEnd(text, '"', p);
      if (nextCR < p) nextCR = indexOrEnd(text, '\r', p);
      if (nextQuote >= end && nextCR >= end && end - p <= FAST_LINE_LIMIT) {
        const line = this.line++;
        if (end > p) {
          const fields = text.slice(p, end).split(',');
          if (fields.length > this.maxFields) {
            fields.length = this.maxFields;
            sink(fields, line, line, [{ kind: 'too_many_fields', field: this.maxFields }]);
          } else sink(fields, line, line, null);
        }
        p = nextLF + 1;
        continue;
      }
      p = this.slow(text, p, false);
      if (p < 0) return;
    }
  }

  /** Flushes the last record (a file need not end with a line break). */
  end(): void {
    if (this.stopped) return;
    const text = this.carry;
    this.carry = '';
    let p = 0;
    if (this.pendingCR && text.charCodeAt(0) === LF) p = 1;
    this.pendingCR = false;
    while ((p < text.length || this.inRecord) && !this.stopped) {
      p = this.slow(text, p, true);
      if (p < 0) break;
    }
  }

  /**
   * Reads one record from `p` with the state machine. Returns the position
   * after the record, or -1 when the text ended inside the record (its state
   * is kept for the next chunk). At the end of input (`final`), the record is
   * closed instead.
   */
  private slow(text: string, p: number, final: boolean): number {
    const n = text.length;
    if (!this.inRecord) {
      this.inRecord = true;
      this.state = FIELD_START;
      this.fields = [];
      this.field = '';
      this.problems = null;
      this.recordStart = this.line;
    }
    let state = this.state;
    let segStart = p;
    while (p < n) {
      const c = text.charCodeAt(p);
      if (state === QUOTED) {
        const q = text.indexOf('"', p);
        const stop = q < 0 ? n : q;
        this.countBreaks(text, p, stop);
        this.append(text, segStart, stop);
        if (q < 0) {
          p = n;
          segStart = n;
          break;
        }
        this.pendingCR = false;
        p = q + 1;
        segStart = p;
        state = QUOTE_IN_QUOTED;
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          // "" inside quotes: one literal quote; the next segment starts at it.
          segStart = p;
          p++;
          state = QUOTED;
          continue;
        }
        if (c !== COMMA && c !== LF && c !== CR) {
          this.problem('text_after_quote');
          state = UNQUOTED;
          segStart = p;
          continue;
        }
        state = UNQUOTED; // handled below as a separator
      }
      if (state === FIELD_START) {
        if (c === QUOTE) {
          state = QUOTED;
          p++;
          segStart = p;
          this.pendingCR = false;
          continue;
        }
        state = UNQUOTED;
        segStart = p;
      }
      // Unquoted
      if (c === COMMA) {
        this.append(text, segStart, p);
        this.endField();
        p++;
        segStart = p;
        state = FIELD_START;
        this.pendingCR = false;
        continue;
      }
      if (c === LF || c === CR) {
        this.append(text, segStart, p);
        this.endField();
        const startLine = this.recordStart;
        if (c === CR) {
          this.line++;
          this.pendingCR = true;
        } else if (this.pendingCR) this.pendingCR = false;
        else this.line++;
        p++;
        if (c === CR && p < n && text.charCodeAt(p) === LF) {
          p++;
          this.pendingCR = false;
        }
        this.emit(startLine, this.line - 1);
        return p;
      }
      if (c === QUOTE) this.problem('quote_in_unquoted');
      this.pendingCR = false;
      p++;
    }
    // End of this text inside the record: keep the pending segment (in QUOTED
    // state it is the literal quote of a "" split across chunks, if any).
    this.append(text, segStart, p);
    this.state = state;
    if (!final) return -1;
    if (state === QUOTED) this.problem('unclosed_quote');
    this.endField();
    // The file ends without a line break: the record ends on the current line
    // (or on the previous one, if an unclosed quote swallowed the last break).
    this.emit(this.recordStart, state === QUOTED && this.quotedEndsWithBreak ? this.line - 1 : this.line);
    return -1;
  }

  private emit(startLine: number, endLine: number): void {
    const fields = this.fields;
    const problems = this.problems;
    this.inRecord = false;
    this.fields = [];
    this.problems = null;
    // A blank line is not a record.
    if (fields.length === 1 && fields[0] === '' && problems === null) return;
    this.sink(fields, startLine, endLine, problems);
  }

  private countBreaks(text: string, from: number, to: number): void {
    if (to > from) {
      const last = text.charCodeAt(to - 1);
      this.quotedEndsWithBreak = last === LF || last === CR;
    }
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === LF) {
        if (this.pendingCR) this.pendingCR = false;
        else this.line++;
      } else if (c === CR) {
        this.line++;
        this.pendingCR = true;
      } else this.pendingCR = false;
    }
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    const room = this.maxField + 1 - this.field.length;
    if (room <= 0) return;
    this.field += to - from > room ? text.slice(from, from + room) : text.slice(from, to);
  }

  private endField(): void {
    if (this.fields.length < this.maxFields) this.fields.push(this.field);
    else if (!this.problems?.some((p) => p.kind === 'too_many_fields')) this.problem('too_many_fields');
    this.field = '';
  }

  private problem(kind: RecordProblem['kind']): void {
    const field = this.fields.length;
    const problems = (this.problems ??= []);
    const last = problems[problems.length - 1];
    if (last === undefined || last.kind !== kind || last.field !== field) problems.push({ kind, field });
  }
}
