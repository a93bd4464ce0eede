import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import type { Position, Problems } from "./problems";

export type PathKey = string | number;

/**
 * The one YAML reader: a parsed file that keeps line positions, turns every
 * number into the text written (`1.10` stays "1.10"), and reports repeated keys.
 */
export class YamlFile {
  readonly value: unknown;
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(
    readonly file: string,
    private readonly text: string,
    problems: Problems,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
    for (const err of this.doc.errors) {
      problems.error(file, this.pos(err.pos[0]), `YAML syntax: ${err.message.split("\n")[0]}`);
    }
    this.value = this.doc.errors.length > 0 ? undefined : this.toValue(this.doc.contents, problems);
  }

  /** Position of the value (or, with `key`, of the mapping key) at `path`. */
  at(path: readonly PathKey[], part: "value" | "key" = "value"): Position {
    let node: unknown = this.doc.contents;
    let last: Position = this.nodePos(node) ?? { line: 1, col: 1 };
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && this.scalarText(p.key) === String(seg));
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

  private toValue(node: unknown, problems: Problems): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.toValue(node.resolve(this.doc), problems);
    if (isScalar(node)) return this.scalarText(node);
    if (isSeq(node)) return node.items.map((item) => this.toValue(item, problems));
    if (isMap(node)) {
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
        const seen = firstLine.get(k);
        if (seen !== undefined) {
          problems.error(this.file, keyPos, `key "${k}" is repeated (first at line ${seen}); remove one of them`);
          continue;
        }
        firstLine.set(k, keyPos.line);
        Object.defineProperty(out, k, {
          value: this.toValue(pair.value, problems),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return null;
  }
}
