import jsyaml from "js-yaml";
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import type { Position, Problems } from "./problems";

export type PathKey = string | number;

/** js-yaml's reading of a plain file, or not ok (a syntax problem, a repeated key, too deep): then the positional reader decides. */
function readFast(text: string): { ok: true; value: unknown } | { ok: false } {
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: TEXT_SCHEMA, json: false });
  } catch {
    return { ok: false };
  }
  return depthWithin(value, 0) ? { ok: true, value: value ?? null } : { ok: false };
}

/** Within the depth bound, and no key `__proto__` however it was spelled (`"\x5f_proto__"`): those the positional reader reports. */
function depthWithin(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== "object") return true;
  if (depth >= MAX_DEPTH) return false;
  if (!Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, "__proto__")) return false;
  for (const x of Array.isArray(v) ? v : Object.values(v as object)) if (!depthWithin(x, depth + 1)) return false;
  return true;
}

/** The text without whole-line comments: a `*` or `&` in a comment must not change how the file is read. */
function withoutCommentLines(text: string): string {
  return text.replace(/^[ \t]*#.*$/gm, "");
}

/** Bounds of the reader: no catalog file needs more, and a hostile one cannot make it hang. */
export const MAX_DEPTH = 64;
export const MAX_ALIASES = 100;

/** The parser's message, with what to change when a tab indents a line (YAML indents with spaces only). */
function tabHint(message: string, text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  return indent.includes("\t") ? `${message} (this line is indented with a tab; YAML indents with spaces)` : message;
}

/**
 * The fast reader's schema: every scalar stays the text written, except null and
 * true/false (as the positional reader reads them).
 */
const JS_YAML_TYPES = (jsyaml as unknown as { types: Record<"null" | "bool", jsyaml.Type> }).types; // exported at run time, not in its typings
const TEXT_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [JS_YAML_TYPES.null, JS_YAML_TYPES.bool] });

/** Anchors, aliases, merge keys, complex keys or `__proto__`: only the positional reader handles these exactly. */
const NEEDS_POSITIONAL = /(^|[\s[{,:-])[&*][^\s,[\]{}]|<<|^\s*\?\s|__proto__/m;

/** The positional parse, from the first time a position is needed. */
interface Positional {
  lines: LineCounter;
  doc: Document.Parsed;
}

/**
 * The one YAML reader: a parsed file that keeps line positions, turns every
 * number into the text written (`1.10` stays "1.10"), and reports repeated keys.
 *
 * Large files stay fast: a plain file (no anchors, no repeated keys) is read by
 * js-yaml, and the positional parse (the `yaml` library, about ten times slower)
 * runs only when a problem needs a line and column. Anything else takes the
 * positional reader from the start, which reports every problem at its place.
 */
export class YamlFile {
  readonly value: unknown;
  private positional?: Positional;

  private readonly text: string;

  constructor(
    readonly file: string,
    text: string,
    problems: Problems,
  ) {
    // A lone CR breaks a line for js-yaml but not for the line counter: make every break a LF (offsets unchanged).
    this.text = text = text.replace(/\r(?!\n)/g, "\n");
    const directive = /^%YAML[ \t]+1\.[01]\b.*$/m.exec(text);
    if (directive) {
      problems.error(file, { line: text.slice(0, directive.index).split("\n").length, col: 1 }, `"${directive[0].trim()}" asks for YAML 1.1 (yes/no/on as booleans); catalog files are YAML 1.2: remove the line`);
      this.value = undefined;
      return;
    }
    if (!NEEDS_POSITIONAL.test(withoutCommentLines(text))) {
      const fast = readFast(text);
      if (fast.ok) {
        this.value = fast.value;
        return;
      }
    }
    this.value = this.readPositional(problems);
  }

  private get lines(): LineCounter {
    return this.parsed().lines;
  }

  private get doc(): Document.Parsed {
    return this.parsed().doc;
  }

  private parsed(): Positional {
    if (!this.positional) {
      const lines = new LineCounter();
      this.positional = { lines, doc: parseDocument(this.text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false }) };
    }
    return this.positional;
  }

  private readPositional(problems: Problems): unknown {
    const text = this.text;
    const file = this.file;
    let deep = false;
    for (const err of this.doc.errors) {
      const message = err.message.split("\n")[0]!;
      // The parser recurses per level: a file nested thousands deep overflows it.
      if (message.includes("Maximum call stack size exceeded")) {
        if (!deep) problems.error(file, this.pos(err.pos[0]), `nesting is deeper than the parser can follow (more than ${MAX_DEPTH} levels are never needed); flatten the file`);
        deep = true;
      } else problems.error(file, this.pos(err.pos[0]), `YAML syntax: ${tabHint(message, text, err.pos[0])}`);
    }
    return this.doc.errors.length > 0 ? undefined : this.convert(problems);
  }

  /** Position of the value (or, with `key`, of the mapping key) at `path`. */
  at(path: readonly PathKey[], part: "value" | "key" = "value"): Position {
    let node: unknown = this.doc.contents;
    let last: Position = this.nodePos(node) ?? { line: 1, col: 1 };
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(seg));
        if (!pair) return last;
        const keyPos = this.nodePos(pair.key) ?? last;
        if (i === path.length - 1 && part === "key") return keyPos;
        node = pair.value;
        last = this.nodePos(node) ?? keyPos;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        last = this.nodePos(node) ?? last;
      } else {
        return last;
      }
    }
    return last;
  }

  /** Each mapping's pairs by key text, built once: many problems in one large mapping stay linear. */
  private readonly pairIndex = new WeakMap<object, Map<string, Pair>>();
  private pairsOf(node: YAMLMap): Map<string, Pair> {
    let index = this.pairIndex.get(node);
    if (!index) {
      index = new Map();
      for (const p of node.items) {
        if (!isScalar(p.key)) continue;
        const k = String(this.scalarText(p.key as Node));
        if (!index.has(k)) index.set(k, p as Pair);
      }
      this.pairIndex.set(node, index);
    }
    return index;
  }

  private pos(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  private nodePos(node: unknown): Position | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.pos(range[0]) : undefined;
  }

  private scalarText(node: Node): string | null | boolean {
    if (!isScalar(node)) return null;
    const v = node.value;
    if (typeof v === "number" || typeof v === "bigint") {
      return node.range ? this.text.slice(node.range[0], node.range[1]) : String(v);
    }
    if (v === null || v === undefined) return null;
    if (typeof v === "boolean") return v;
    return String(v);
  }

  private aliases = 0;
  private readonly expanding = new Set<unknown>();
  private failed = false;

  /** The whole value, or undefined when a bound was crossed (the problem is reported). */
  private convert(problems: Problems): unknown {
    const value = this.toValue(this.doc.contents, problems, 0);
    return this.failed ? undefined : value;
  }

  private stop(problems: Problems, at: unknown, message: string): null {
    if (!this.failed) problems.error(this.file, this.nodePos(at) ?? { line: 1, col: 1 }, message);
    this.failed = true;
    return null;
  }

  private toValue(node: unknown, problems: Problems, depth: number): unknown {
    if (this.failed) return null;
    if (node === null || node === undefined) return null;
    if (depth > MAX_DEPTH) return this.stop(problems, node, `nesting is more than ${MAX_DEPTH} levels deep; flatten the file`);
    if (isAlias(node)) {
      if (++this.aliases > MAX_ALIASES)
        return this.stop(problems, node, `more than ${MAX_ALIASES} aliases (*name) are expanded in this file; write the values out instead`);
      const target = node.resolve(this.doc);
      if (target === undefined) return this.stop(problems, node, `alias *${node.source} names no anchor (&${node.source}) before it`);
      if (this.expanding.has(target)) return this.stop(problems, node, `alias *${node.source} refers to the value that contains it; remove the alias`);
      this.expanding.add(target);
      const value = this.toValue(target, problems, depth);
      this.expanding.delete(target);
      return value;
    }
    if (isScalar(node)) return this.scalarText(node);
    if (isSeq(node)) {
      this.expanding.add(node);
      const items = node.items.map((item) => this.toValue(item, problems, depth + 1));
      this.expanding.delete(node);
      return items;
    }
    if (isMap(node)) {
      this.expanding.add(node);
      const out: Record<string, unknown> = {};
      const firstLine = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = keyNode && isScalar(keyNode) ? this.scalarText(keyNode) : undefined;
        const keyPos = this.nodePos(keyNode) ?? this.nodePos(node) ?? { line: 1, col: 1 };
        if (key === undefined || key === null) {
          problems.error(this.file, keyPos, "mapping keys must be plain text");
          continue;
        }
        const k = String(key);
        // Never a catalog name; a converter (zod records among them) would drop it in silence.
        if (k === "__proto__") {
          problems.error(this.file, keyPos, `key "__proto__" names nothing in a catalog file; remove it`);
          continue;
        }
        const seen = firstLine.get(k);
        if (seen !== undefined) {
          problems.error(this.file, keyPos, `key "${k}" is repeated (first at line ${seen}); remove one of them`);
          continue;
        }
        firstLine.set(k, keyPos.line);
        Object.defineProperty(out, k, {
          value: this.toValue(pair.value, problems, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      this.expanding.delete(node);
      return out;
    }
    return null;
  }
}
