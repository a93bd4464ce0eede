/** One problem found in an input file, reported as `FILE:LINE:COL: SEVERITY: MESSAGE`. */
export type Severity = "error" | "warning" | "note";

export interface Position {
  line: number;
  col: number;
}

export interface Problem extends Position {
  /** Path relative to the catalog folder, with forward slashes. */
  file: string;
  severity: Severity;
  message: string;
}

/**
 * Control characters written visibly (`\n`, `\u001b`, ...): a value quoted in a message
 * can neither move the cursor, colour the terminal nor start a line that looks like a problem.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

export function formatProblem(p: Problem): string {
  return escapeControl(`${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`);
}

function compareProblems(a: Problem, b: Problem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/** Collects every problem of a run; nothing stops at the first one. */
export class Problems {
  private readonly items: Problem[] = [];

  add(severity: Severity, file: string, at: Position, message: string): void {
    this.items.push({ file, line: at.line, col: at.col, severity, message });
  }
  error(file: string, at: Position, message: string): void {
    this.add("error", file, at, message);
  }
  warning(file: string, at: Position, message: string): void {
    this.add("warning", file, at, message);
  }
  note(file: string, at: Position, message: string): void {
    this.add("note", file, at, message);
  }

  get errorCount(): number {
    return this.items.filter((p) => p.severity === "error").length;
  }
  get warningCount(): number {
    return this.items.filter((p) => p.severity === "warning").length;
  }

  /** Sorted by file, then line and column. */
  sorted(): Problem[] {
    return [...this.items].sort(compareProblems);
  }
}

/** Thrown when inputs have errors: the program must declare nothing. */
export class CatalogError extends Error {
  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === "error");
    super(
      `the catalog has ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing is declared:\n` +
        errors.map(formatProblem).join("\n"),
    );
    this.name = "CatalogError";
  }
}

export const START: Position = { line: 1, col: 1 };
