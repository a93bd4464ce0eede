import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, stringify, type Document, type Pair } from "yaml";
import type { Position, Problems } from "../catalog/problems";
import type { MigratedProject } from "./to-catalog";

/**
 * Renders migrated entries as YAML and inserts them into infra.yaml as text, after
 * the last entry of `infra.staging.projects`: every other byte of the file stays.
 */

export interface Layout {
  /** Column (0-based) of the project keys under `projects:`. */
  indent: number;
  /** Indentation step of nested mappings and lists. */
  step: number;
  newline: "\n" | "\r\n";
}

/** What infra.yaml files of this kind use: `infra:` / `  staging:` / `    projects:` / `      <id>:`. */
export const DEFAULT_LAYOUT: Layout = { indent: 6, step: 2, newline: "\n" };

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain | undefined };

function scalar(v: string | number | boolean | null): string {
  if (v === null) return "";
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

function isObject(v: Plain | undefined): v is { [key: string]: Plain | undefined } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

/** Block YAML lines of a mapping at `indent`. */
function mapLines(obj: { [key: string]: Plain | undefined }, indent: number, step: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    const key = `${pad}${scalar(k)}:`;
    if (v === null) lines.push(key);
    else if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${key} []`);
      else lines.push(key, ...seqLines(v, indent + step, step));
    } else if (typeof v === "object") {
      if (Object.keys(v).length === 0) lines.push(`${key} {}`);
      else lines.push(key, ...mapLines(v, indent + step, step));
    } else lines.push(`${key} ${scalar(v)}`);
  }
  return lines;
}

function seqLines(items: Plain[], indent: number, step: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  for (const item of items) {
    if (isObject(item)) {
      const inner = mapLines(item, indent + 2, step);
      lines.push(`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
    } else if (Array.isArray(item)) {
      const inner = seqLines(item, indent + 2, step);
      lines.push(`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
    } else lines.push(`${pad}- ${scalar(item)}`.trimEnd());
  }
  return lines;
}

export function asPlain(projects: MigratedProject[]): { [id: string]: Plain } {
  const out: { [id: string]: Plain } = {};
  for (const p of projects) out[p.id] = JSON.parse(JSON.stringify(p.entry)) as Plain;
  return out;
}

/** The entries exactly as they are inserted: every line ends with the file's newline. */
export function renderEntries(projects: MigratedProject[], layout: Layout): string {
  return mapLines(asPlain(projects), layout.indent, layout.step)
    .map((l) => l + layout.newline)
    .join("");
}

/** Deep equality of parsed YAML values; an empty entry (null) equals an empty mapping. */
export function sameValue(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === null || v === undefined || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a as object).sort();
    const kb = Object.keys(b as object).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

interface Existing {
  at: Position;
  value: unknown;
}

/** infra.yaml as text, with where `infra.staging.projects` ends. */
export interface InfraFile {
  /** The path as named in problems. */
  name: string;
  text: string;
  layout: Layout;
  /** Offset where new entries go: the start of the line after the last entry. */
  insertAt: number;
  existing: Map<string, Existing>;
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function projectsOf(doc: Document.Parsed): { pair: Pair } | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const infra = root.items.find((p) => keyText(p) === "infra")?.value;
  if (!isMap(infra)) return undefined;
  const staging = infra.items.find((p) => keyText(p) === "staging")?.value;
  if (!isMap(staging)) return undefined;
  const pair = staging.items.find((p) => keyText(p) === "projects");
  return pair ? { pair } : undefined;
}

/** Reads infra.yaml; problems name `name`. */
export function readInfraFile(name: string, text: string, problems: Problems): InfraFile | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const pos = (offset: number): Position => lines.linePos(offset);
  if (doc.errors.length > 0) {
    for (const err of doc.errors) problems.error(name, pos(err.pos[0]), `YAML syntax: ${err.message.split("\n")[0]}`);
    return undefined;
  }
  const found = projectsOf(doc);
  if (!found) {
    problems.error(name, { line: 1, col: 1 }, `${name} has no infra.staging.projects; add "projects:" under infra.staging`);
    return undefined;
  }
  const newline = /\r\n/.test(text) ? "\r\n" : "\n";
  const keyNode = found.pair.key as { range?: [number, number, number] } | null;
  const keyStart = keyNode?.range?.[0] ?? 0;
  const keyCol = pos(keyStart).col - 1;
  const value = found.pair.value;
  const existing = new Map<string, Existing>();
  let layout: Layout;
  let end: number;
  if (isMap(value)) {
    if (value.flow) {
      problems.error(name, pos(value.range?.[0] ?? keyStart), `infra.staging.projects is a flow mapping ({...}); write it as a block mapping to insert entries as text`);
      return undefined;
    }
    const first = value.items[0]?.key as { range?: [number, number, number] } | undefined;
    const indent = first?.range ? pos(first.range[0]).col - 1 : keyCol + 2;
    layout = { indent, step: indent > keyCol ? indent - keyCol : 2, newline };
    end = value.range?.[1] ?? text.length;
    for (const pair of value.items) {
      const id = keyText(pair);
      const range = (pair.key as { range?: [number, number, number] } | null)?.range;
      if (id !== undefined) existing.set(id, { at: pos(range?.[0] ?? 0), value: (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null });
    }
  } else if (value === null || (isScalar(value) && (value.value === null || value.value === undefined))) {
    layout = { indent: keyCol + 2, step: 2, newline };
    end = keyNode?.range?.[2] ?? keyStart;
  } else {
    problems.error(name, pos(keyStart), `infra.staging.projects must be a mapping of project ids`);
    return undefined;
  }
  // The start of the line after the last entry (the end of the file when it has no final newline).
  let insertAt = end;
  if (insertAt > 0 && text[insertAt - 1] !== "\n") {
    const nl = text.indexOf("\n", insertAt);
    insertAt = nl < 0 ? text.length : nl + 1;
  }
  // Blank lines and comments less indented than the project keys belong to what follows.
  if (isMap(value)) {
    for (;;) {
      const start = insertAt === 0 ? -1 : text.lastIndexOf("\n", insertAt - 2) + 1;
      if (start < 0 || start >= insertAt) break;
      const line = text.slice(start, insertAt).replace(/\r?\n$/, "");
      const comment = /^(\s*)#/.exec(line);
      if (line.trim() === "" || (comment && comment[1]!.length < layout.indent)) insertAt = start;
      else break;
    }
  }
  return { name, text, layout, insertAt, existing };
}

export type Insertion =
  | { kind: "insert"; text: string; block: string; offset: number; inserted: string[]; already: string[] }
  | { kind: "already"; already: string[] }
  | { kind: "conflict" };

/**
 * Where the entries go. A project already in the file is fine when its entry is the
 * same (already migrated); a different entry is an error and nothing is inserted.
 */
export function planInsertion(file: InfraFile, projects: MigratedProject[], problems: Problems): Insertion {
  const plain = asPlain(projects);
  const already: string[] = [];
  const fresh: MigratedProject[] = [];
  let conflict = false;
  for (const p of projects) {
    const seen = file.existing.get(p.id);
    if (!seen) fresh.push(p);
    else if (sameValue(seen.value, plain[p.id])) already.push(p.id);
    else {
      conflict = true;
      problems.error(
        file.name,
        seen.at,
        `${p.id} is already in infra.staging.projects with a different entry than the one migrated from ${p.file}; reconcile it by hand (nothing is written)`,
      );
    }
  }
  if (conflict) return { kind: "conflict" };
  if (fresh.length === 0) return { kind: "already", already };
  let block = renderEntries(fresh, file.layout);
  const offset = file.insertAt;
  // A file without a final newline: the block starts a new line and ends without one.
  if (offset === file.text.length && offset > 0 && !file.text.endsWith("\n")) block = file.layout.newline + block.slice(0, -file.layout.newline.length);
  const text = file.text.slice(0, offset) + block + file.text.slice(offset);
  checkInserted(file, text, fresh);
  return { kind: "insert", text, block, offset, inserted: fresh.map((p) => p.id), already };
}

/** The inserted text would not read back as intended: a bug, never written. */
export class InsertionError extends Error {}

/** The entries of `infra.staging.projects` in `text`, by id; `fail` when it does not parse. */
function entriesOf(text: string, fail: (why: string) => never): Map<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) fail(doc.errors[0]!.message.split("\n")[0]!);
  const found = projectsOf(doc);
  if (!found || !isMap(found.pair.value)) return fail("infra.staging.projects is gone");
  const now = new Map<string, unknown>();
  for (const pair of found.pair.value.items) {
    const id = keyText(pair);
    if (id !== undefined) now.set(id, (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null);
  }
  return now;
}

/** The new text parses, keeps every entry it had and holds the new ones exactly. */
function checkInserted(file: InfraFile, text: string, fresh: MigratedProject[]): void {
  const fail = (why: string): never => {
    throw new InsertionError(`inserting into ${file.name} would break it (${why}); nothing is written`);
  };
  const now = entriesOf(text, fail);
  for (const [id, { value }] of file.existing) if (!now.has(id) || !sameValue(now.get(id), value)) fail(`${id} changed`);
  const plain = asPlain(fresh);
  for (const p of fresh) if (!sameValue(now.get(p.id), plain[p.id])) fail(`${p.id} does not read back as migrated`);
  if (now.size !== file.existing.size + fresh.length) fail("unexpected entries");
}

/** Writes through a temporary file in the same folder, then renames it over the file. */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.migrate-${process.pid}.tmp`);
  const mode = fs.statSync(file).mode;
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** An entry to write into an existing, empty project key (upstream's special cases). */
export interface Fill {
  id: string;
  entry: { [key: string]: unknown };
}

export type FillPlan =
  | { kind: "fill"; text: string; filled: string[]; already: string[]; absent: string[] }
  | { kind: "conflict" };

/**
 * Writes each entry under its project key, which must be empty (`k8s-staging-x:`):
 * the key line stays as written (with any comment) and the entry's lines follow it.
 * A key that already holds the same entry is left; one that holds another is an error.
 */
export function planFills(file: InfraFile, fills: Fill[], problems: Problems): FillPlan {
  const lines = file.text.split("\n");
  const already: string[] = [];
  const absent: string[] = [];
  const filled: string[] = [];
  const after = new Map<number, string[]>();
  let conflict = false;
  for (const f of fills) {
    const seen = file.existing.get(f.id);
    const plain = JSON.parse(JSON.stringify(f.entry)) as { [key: string]: Plain };
    if (!seen) absent.push(f.id);
    else if (sameValue(seen.value, plain)) already.push(f.id);
    else if (sameValue(seen.value, null)) {
      // An empty entry written `~`, `null` or `{}` loses that value; a comment after it stays.
      const i = seen.at.line - 1;
      const line = lines[i]!;
      const colon = line.indexOf(":", seen.at.col - 1 + f.id.length);
      const rest = line.slice(colon + 1).replace(/\r$/, "");
      const comment = /\s#.*$/.exec(rest)?.[0] ?? "";
      lines[i] = line.slice(0, colon + 1) + comment + (line.endsWith("\r") ? "\r" : "");
      const body = mapLines(plain, file.layout.indent + file.layout.step, file.layout.step);
      after.set(i, body);
      filled.push(f.id);
    } else {
      conflict = true;
      problems.error(file.name, seen.at, `${f.id} already has an entry that differs from upstream's special case; reconcile it by hand (nothing is written)`);
    }
  }
  if (conflict) return { kind: "conflict" };
  const cr = file.layout.newline === "\r\n" ? "\r" : "";
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    const body = after.get(i);
    if (!body) return;
    // A key on the file's last line without a newline: the entry starts on a new line.
    if (i === lines.length - 1) out[out.length - 1] = line + cr;
    out.push(...body.map((l, j) => (j === body.length - 1 && i === lines.length - 1 ? l : l + cr)));
  });
  const text = out.join("\n");
  checkFilled(file, text, fills.filter((f) => filled.includes(f.id)));
  return { kind: "fill", text, filled, already, absent };
}

function checkFilled(file: InfraFile, text: string, fills: Fill[]): void {
  const fail = (why: string): never => {
    throw new InsertionError(`writing into ${file.name} would break it (${why}); nothing is written`);
  };
  const now = entriesOf(text, fail);
  const byId = new Map(fills.map((f) => [f.id, f.entry]));
  for (const [id, { value }] of file.existing) {
    const want = byId.has(id) ? byId.get(id) : value;
    if (!now.has(id) || !sameValue(now.get(id), JSON.parse(JSON.stringify(want ?? null)))) fail(`${id} does not read back as intended`);
  }
  if (now.size !== file.existing.size) fail("unexpected entries");
}

/** Renders entries for printing, as they read under `infra.staging.projects`. */
export function renderFills(fills: Fill[], layout: Layout): string {
  const plain: { [id: string]: Plain } = {};
  for (const f of fills) plain[f.id] = JSON.parse(JSON.stringify(f.entry)) as Plain;
  return mapLines(plain, layout.indent, layout.step)
    .map((l) => l + layout.newline)
    .join("");
}
