// Command output as the model should read it: what a terminal would show, not
// the bytes that drew it. Colour and other escape sequences (CSI, OSC, DCS and
// the rest of ECMA-48's) and control characters are dropped; a carriage
// return, a backspace, erase-in-line and horizontal cursor moves are played on
// the current line, so a progress bar leaves its last state instead of every
// frame. It works on text as it streams in: a sequence cut between two chunks
// is still recognised. Tabs and newlines stay.

/** A line is held until its newline (a later `\r` may redraw it); a longer one is let go at this size. */
const LINE_MAX = 16_384;
/** An OSC or DCS string this long without its terminator is given up: the rest is shown as text. */
const STRING_MAX = 4_096;
/** A CSI sequence with more parameter bytes than this is not one a terminal would act on. */
const CSI_MAX = 64;

type State = "ground" | "escape" | "intermediate" | "csi" | "string" | "stringEscape";

const ESC = "\u001b";
const BEL = "\u0007";
/** The C1 controls that open a string (DCS, SOS, OSC, PM, APC), ended by ST or BEL. */
const STRING_STARTS = ["\u0090", "\u0098", "\u009d", "\u009e", "\u009f"];

export class TerminalText {
  private state: State = "ground";
  private line = "";
  private col = 0;
  private params = "";
  private stringLength = 0;
  private altered = false;

  /** Whether anything was dropped or redrawn so far: the text differs from the bytes. */
  get changed(): boolean {
    return this.altered;
  }

  /** Takes the next piece of text; returns what is settled (whole lines, or a line let go at LINE_MAX). */
  push(text: string): string {
    let out = "";
    let i = 0;
    while (i < text.length) {
      if (this.state === "ground") {
        // Plain text and newlines up to the next control character go in at once.
        const end = nextControl(text, i);
        if (end > i) {
          out += this.plain(text, i, end);
          i = end;
          continue;
        }
      }
      const c = text.charAt(i);
      i += 1;
      // A newline ends the line, and any sequence cut short by it (an OSC string aside).
      if (c === "\n" && this.state !== "string" && this.state !== "stringEscape") {
        this.state = "ground";
        out += `${this.release()}\n`;
        continue;
      }
      this.take(c);
      out += this.overflow();
    }
    return out;
  }

  /**
   * `text[from, to)`, which holds no control character but newlines: the lines it ends settle,
   * and those it holds whole pass as they are (the common case, and the fast one).
   */
  private plain(text: string, from: number, to: number): string {
    const first = text.indexOf("\n", from);
    if (first < 0 || first >= to) {
      this.write(text.slice(from, to));
      return this.overflow();
    }
    const last = text.lastIndexOf("\n", to - 1);
    this.write(text.slice(from, first));
    const settled = this.release() + text.slice(first, last + 1);
    this.write(text.slice(last + 1, to));
    return settled + this.overflow();
  }

  /** A line grown past LINE_MAX with the cursor at its end, let go; "" otherwise. */
  private overflow(): string {
    return this.line.length >= LINE_MAX && this.col >= this.line.length ? this.release() : "";
  }

  /** The line still held, at the end of the output. */
  flush(): string {
    if (this.state !== "ground") this.altered = true;
    this.state = "ground";
    return this.release();
  }

  private release(): string {
    const line = this.line;
    this.line = "";
    this.col = 0;
    return line;
  }

  /** Printable text at the cursor: appended at the end of the line, else written over it. */
  private write(text: string): void {
    if (this.col === this.line.length) {
      this.line += text;
    } else {
      const end = this.col + text.length;
      this.line = this.line.slice(0, this.col) + text + this.line.slice(end);
    }
    this.col += text.length;
  }

  /** One character that is not plain text in the ground state. */
  private take(c: string): void {
    switch (this.state) {
      case "ground":
        return this.ground(c);
      case "escape":
        return this.escape(c);
      case "intermediate":
        if (c >= " " && c <= "/") return;
        this.state = "ground";
        if (c >= "0" && c <= "~") return;
        return this.ground(c);
      case "csi":
        return this.csi(c);
      case "string":
        if (c === BEL || c === "\u009c") {
          this.state = "ground";
        } else if (c === ESC) {
          this.state = "stringEscape";
        } else if (++this.stringLength > STRING_MAX) {
          this.state = "ground";
        }
        return;
      case "stringEscape":
        // ESC \ ends the string; an ESC before anything else starts a new sequence.
        this.state = "escape";
        if (c !== "\\") return this.escape(c);
        this.state = "ground";
        return;
    }
  }

  /** A character in the ground state, or one that ended a sequence by not belonging to it. */
  private ground(c: string): void {
    if (isPlain(c)) return this.write(c);
    this.altered = true;
    if (c === "\r") {
      this.col = 0;
    } else if (c === "\b") {
      this.col = Math.max(0, this.col - 1);
    } else if (c === ESC) {
      this.state = "escape";
    } else if (c === "\u009b") {
      this.beginCsi();
    } else if (STRING_STARTS.includes(c)) {
      this.beginString();
    }
    // Any other control character (BEL, NUL, DEL, the rest of C1) is dropped.
  }

  private escape(c: string): void {
    this.state = "ground";
    if (c === "[") return this.beginCsi();
    if (c === "]" || c === "P" || c === "X" || c === "^" || c === "_") return this.beginString();
    if (c >= " " && c <= "/") {
      this.state = "intermediate";
      return;
    }
    if (c >= "0" && c <= "~") return;
    // Not a sequence (a control character, or text beyond ASCII): the character is itself.
    return this.ground(c);
  }

  private csi(c: string): void {
    if (c >= "0" && c <= "?") {
      this.params += c;
      if (this.params.length > CSI_MAX) this.state = "ground";
      return;
    }
    if (c >= " " && c <= "/") return;
    this.state = "ground";
    if (c >= "@" && c <= "~") return this.act(c, this.params);
    // A character that cannot be in a sequence abandons it, and acts itself.
    return this.ground(c);
  }

  /** The CSI sequences that change what the line shows; every other one (colours) shows nothing. */
  private act(final: string, params: string): void {
    const n = Number.parseInt(params, 10);
    const count = Number.isFinite(n) && n > 0 ? n : 1;
    switch (final) {
      case "K":
        if (params === "" || params === "0") this.line = this.line.slice(0, this.col);
        else if (params === "1") {
          const upTo = Math.min(this.col + 1, this.line.length);
          this.line = " ".repeat(upTo) + this.line.slice(upTo);
        } else if (params === "2") this.line = " ".repeat(Math.min(this.col, LINE_MAX));
        return;
      case "G":
        return this.moveTo(count - 1);
      case "C":
        return this.moveTo(this.col + count);
      case "D":
        this.col = Math.max(0, this.col - count);
        return;
    }
  }

  private moveTo(col: number): void {
    this.col = Math.min(col, LINE_MAX);
    if (this.line.length < this.col) this.line += " ".repeat(this.col - this.line.length);
  }

  private beginCsi(): void {
    this.state = "csi";
    this.params = "";
  }

  private beginString(): void {
    this.state = "string";
    this.stringLength = 0;
  }
}

/** Text a terminal prints as it is: anything but a C0 or C1 control character or DEL (a tab is text). */
function isPlain(c: string): boolean {
  const code = c.charCodeAt(0);
  return code === 0x09 || (code >= 0x20 && code < 0x7f) || code > 0x9f;
}

/** Where the next control character but a newline is, from `from`; the text's length if none. */
function nextControl(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || code === 0x09 || (code >= 0x20 && code < 0x7f) || code > 0x9f) continue;
    return i;
  }
  return text.length;
}

/** A whole output at once (the streaming filter, fed one piece). */
export function terminalText(text: string): string {
  const filter = new TerminalText();
  return filter.push(text) + filter.flush();
}
