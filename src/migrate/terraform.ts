import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { Problems, START, type Position } from "../catalog/problems";

/**
 * Reads a Terraform root module (every `*.tf` of one folder) with HashiCorp's
 * HCL parser (@cdktf/hcl2json) and evaluates the small expression subset the
 * staging Terraform uses. Nothing here knows what a module means.
 */

/** A value after evaluation: what HCL literals and the supported expressions produce. */
export type TfValue = string | number | boolean | null | TfValue[] | { [key: string]: TfValue };

export interface TfFile {
  /** Path relative to the Terraform folder. */
  name: string;
  text: string;
}

export interface TfBlock {
  /** `module`, `resource`, `data`, ... */
  kind: string;
  /** `module "x"` → x; `resource "t" "n"` → t.n */
  name: string;
  file: TfFile;
  at: Position;
  /** Attributes as hcl2json renders them: expressions are `${...}` strings. */
  body: Record<string, unknown>;
}

export interface TfLocal {
  name: string;
  file: TfFile;
  at: Position;
  value: unknown;
}

export interface TerraformConfig {
  files: TfFile[];
  modules: TfBlock[];
  /** Blocks that declare or read infrastructure outside modules (`resource`, `data`). */
  resources: TfBlock[];
  locals: Map<string, TfLocal>;
}

interface Hcl2Json {
  parse(filename: string, contents: string): Promise<unknown>;
}

/**
 * The parser is loaded on first use (it starts a WebAssembly runtime) and through
 * a typed view: its own declarations pull the DOM library into the whole program.
 */
let parser: Hcl2Json | undefined;
function hcl(): Hcl2Json {
  parser ??= createRequire(__filename)("@cdktf/hcl2json") as Hcl2Json;
  return parser;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `*.tf` files of `dir`, sorted. */
/** The `*.tf` files of `dir`; one that is not a readable regular file is an error, never skipped. */
export function terraformFiles(dir: string, problems?: Problems): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => {
      if (!n.endsWith(".tf")) return false;
      let st: fs.Stats;
      try {
        st = fs.statSync(path.join(dir, n));
      } catch (e) {
        problems?.error(n, START, `${n} cannot be read (${(e as NodeJS.ErrnoException).code === "ENOENT" ? "a dangling symbolic link" : (e as Error).message})`);
        return false;
      }
      if (!st.isFile()) {
        if (!st.isDirectory()) problems?.error(n, START, `${n} is not a regular file`);
        return false;
      }
      return true;
    })
    .sort();
}

/** `bad.tf:3,5-6: Summary; detail` inside hcl2json's `parse config: [...]` message. */
const DIAGNOSTIC = /([^\s[\]]+):(\d+),(\d+)(?:-(?:\d+,)?\d+)?: ([^\]]*)/;

/** Line and column of a text line matching `re`, searching from line `from` (1-based). */
function findLine(text: string, re: RegExp, from = 1, until?: (line: string) => boolean): Position | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = from - 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > from - 1 && until?.(line)) return undefined;
    const m = re.exec(line);
    if (m) return { line: i + 1, col: m.index + (m[0].length - m[0].trimStart().length) + 1 };
  }
  return undefined;
}

const quoteRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A top-level block starts at column 1 with a word. */
const topLevel = (line: string) => /^[A-Za-z_]/.test(line);

function blockPosition(file: TfFile, kind: string, labels: string[]): Position {
  const re = new RegExp(`^\\s*${kind}${labels.map((l) => `\\s+"${quoteRe(l)}"`).join("")}\\s*\\{`);
  return findLine(file.text, re) ?? START;
}

/** Position of `attr = ` inside the block at `block` (its first line), or the block's own. */
export function attributePosition(block: { file: TfFile; at: Position }, attr: string): Position {
  return findLine(block.file.text, new RegExp(`^\\s*"?${quoteRe(attr)}"?\\s*=`), block.at.line, topLevel) ?? block.at;
}

/** Position of `needle` (exact text) inside the block or local that starts at `from`. */
export function textPosition(file: TfFile, from: Position, needle: string): Position {
  return findLine(file.text, new RegExp(quoteRe(needle)), from.line, topLevel) ?? from;
}

/** Position of `name = ` inside one of the file's `locals { ... }` blocks. */
function localPosition(file: TfFile, name: string): Position {
  const lines = file.text.split(/\r?\n/);
  const attr = new RegExp(`^\\s*"?${quoteRe(name)}"?\\s*=`);
  for (let i = 0; i < lines.length; i++) {
    if (!/^locals\s*\{/.test(lines[i]!)) continue;
    const at = findLine(file.text, attr, i + 1, topLevel);
    if (at) return at;
  }
  return START;
}

/** Parses every `*.tf` of `dir`; a file the parser rejects is reported with its line. */
export async function readTerraform(dir: string, problems: Problems): Promise<TerraformConfig | undefined> {
  const config: TerraformConfig = { files: [], modules: [], resources: [], locals: new Map() };
  const before = problems.errorCount;
  for (const name of terraformFiles(dir, problems)) {
    const file: TfFile = { name, text: fs.readFileSync(path.join(dir, name), "utf8") };
    config.files.push(file);
    let json: unknown;
    try {
      json = await hcl().parse(name, file.text);
    } catch (e) {
      const message = (e as Error).message;
      const d = DIAGNOSTIC.exec(message);
      if (d) problems.error(name, { line: Number(d[2]), col: Number(d[3]) }, `HCL syntax: ${d[4]!.trim()}`);
      else problems.error(name, START, `HCL syntax: ${message}`);
      continue;
    }
    if (!isRecord(json)) continue;
    collect(config, file, json, problems);
  }
  return problems.errorCount > before ? undefined : config;
}

function collect(config: TerraformConfig, file: TfFile, json: Record<string, unknown>, problems: Problems): void {
  const modules = isRecord(json.module) ? json.module : {};
  for (const [name, bodies] of Object.entries(modules)) {
    for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
      const at = blockPosition(file, "module", [name]);
      const seen = config.modules.find((m) => m.name === name);
      if (seen) {
        problems.error(file.name, at, `module "${name}" is declared twice (first in ${seen.file.name}:${seen.at.line})`);
        continue;
      }
      config.modules.push({ kind: "module", name, file, at, body: isRecord(body) ? body : {} });
    }
  }
  for (const kind of ["resource", "data"]) {
    const byType = isRecord(json[kind]) ? json[kind] : {};
    for (const [type, named] of Object.entries(byType)) {
      for (const [name, bodies] of Object.entries(isRecord(named) ? named : {})) {
        for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
          config.resources.push({
            kind,
            name: `${type}.${name}`,
            file,
            at: blockPosition(file, kind, [type, name]),
            body: isRecord(body) ? body : {},
          });
        }
      }
    }
  }
  const localBlocks = Array.isArray(json.locals) ? json.locals : [];
  for (const block of localBlocks) {
    if (!isRecord(block)) continue;
    for (const [name, value] of Object.entries(block)) {
      const at = localPosition(file, name);
      const seen = config.locals.get(name);
      if (seen) {
        problems.error(file.name, at, `local.${name} is declared twice (first in ${seen.file.name}:${seen.at.line})`);
        continue;
      }
      config.locals.set(name, { name, file, at, value });
    }
  }
}

// ---------------------------------------------------------------------------
// Expressions

/** An expression outside the supported subset, or one that does not evaluate. */
export class ExpressionError extends Error {}

export const SUPPORTED =
  "supported: module.<m>.project_id, local.<name>, each.key, each.value, contains(<list>, <value>) and [for k, v in <map> : v]";

export interface Scope {
  each?: { key: string; value: TfValue };
  /** `module.<name>.<output>`; throws ExpressionError when it cannot be known. */
  moduleOutput: (name: string, output: string) => TfValue;
}

type Token = { kind: "ident" | "punct" | "string" | "number"; text: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      tokens.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ kind: "number", text: m[0] });
      i += m[0].length;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else if (src.startsWith("${", j) || src.startsWith("%{", j)) {
          throw new ExpressionError("a template inside an expression is not supported");
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExpressionError("unterminated string");
      tokens.push({ kind: "string", text: s });
      i = j + 1;
    } else if ("[](),.:".includes(c)) {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else {
      throw new ExpressionError(`"${c}" is not supported`);
    }
  }
  return tokens;
}

type Expr =
  | { kind: "literal"; value: TfValue }
  | { kind: "tuple"; items: Expr[] }
  | { kind: "ref"; parts: string[] }
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "for"; key: string | undefined; value: string; source: Expr; result: Expr };

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Expr {
    const e = this.expr();
    const rest = this.tokens[this.i];
    if (rest) throw new ExpressionError(`"${rest.text}" is not supported here`);
    return e;
  }

  private peek(text?: string): Token | undefined {
    const t = this.tokens[this.i];
    return text === undefined || t?.text === text ? t : undefined;
  }

  private expect(text: string): void {
    const t = this.tokens[this.i];
    if (t?.text !== text) throw new ExpressionError(`expected "${text}"${t ? `, found "${t.text}"` : " at the end"}`);
    this.i++;
  }

  private ident(): string {
    const t = this.tokens[this.i];
    if (t?.kind !== "ident") throw new ExpressionError(`expected a name${t ? `, found "${t.text}"` : " at the end"}`);
    this.i++;
    return t.text;
  }

  private expr(): Expr {
    const t = this.tokens[this.i];
    if (!t) throw new ExpressionError("the expression ends too early");
    if (t.kind === "string") {
      this.i++;
      return { kind: "literal", value: t.text };
    }
    if (t.kind === "number") {
      this.i++;
      return { kind: "literal", value: Number(t.text) };
    }
    if (t.text === "[") {
      this.i++;
      if (this.peek("for")) return this.forExpr();
      const items: Expr[] = [];
      while (!this.peek("]")) {
        items.push(this.expr());
        if (!this.peek("]")) this.expect(",");
      }
      this.expect("]");
      return { kind: "tuple", items };
    }
    if (t.kind === "ident") {
      this.i++;
      if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
      if (t.text === "null") return { kind: "literal", value: null };
      if (this.peek("(")) {
        this.i++;
        const args: Expr[] = [];
        while (!this.peek(")")) {
          args.push(this.expr());
          if (!this.peek(")")) this.expect(",");
        }
        this.expect(")");
        return { kind: "call", name: t.text, args };
      }
      const parts = [t.text];
      while (this.peek(".")) {
        this.i++;
        parts.push(this.ident());
      }
      return { kind: "ref", parts };
    }
    throw new ExpressionError(`"${t.text}" is not supported here`);
  }

  private forExpr(): Expr {
    this.expect("for");
    const first = this.ident();
    let key: string | undefined;
    let value = first;
    if (this.peek(",")) {
      this.i++;
      key = first;
      value = this.ident();
    }
    this.expect("in");
    const source = this.expr();
    this.expect(":");
    const result = this.expr();
    if (this.peek("if")) throw new ExpressionError("a for expression with an if clause is not supported");
    this.expect("]");
    return { kind: "for", key, value, source, result };
  }
}

function describe(v: TfValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return typeof v;
}

export class Evaluator {
  private readonly evaluating = new Set<string>();
  constructor(private readonly locals: Map<string, TfLocal>) {}

  /** Evaluates a value as hcl2json renders it: literals stay, `${...}` strings are evaluated. */
  value(raw: unknown, scope: Scope): TfValue {
    if (typeof raw === "string") return this.template(raw, scope);
    if (typeof raw === "number" || typeof raw === "boolean" || raw === null || raw === undefined) return raw ?? null;
    if (Array.isArray(raw)) return raw.map((item) => this.value(item, scope));
    if (isRecord(raw)) {
      const out: Record<string, TfValue> = {};
      for (const [k, v] of Object.entries(raw)) out[k] = this.value(v, scope);
      return out;
    }
    throw new ExpressionError(`a ${typeof raw} value is not supported`);
  }

  /** A string with `${...}` interpolations; a string that is one interpolation keeps the value's type. */
  private template(raw: string, scope: Scope): TfValue {
    const parts: (string | Expr)[] = [];
    let literal = "";
    let i = 0;
    while (i < raw.length) {
      if (raw.startsWith("$${", i)) {
        literal += "${";
        i += 3;
      } else if (raw.startsWith("%%{", i)) {
        literal += "%{";
        i += 3;
      } else if (raw.startsWith("%{", i)) {
        throw new ExpressionError("template directives (%{...}) are not supported");
      } else if (raw.startsWith("${", i)) {
        const end = closingBrace(raw, i + 2);
        if (literal) parts.push(literal);
        literal = "";
        parts.push(new Parser(tokenize(raw.slice(i + 2, end))).parseAll());
        i = end + 1;
      } else {
        literal += raw[i++];
      }
    }
    if (literal) parts.push(literal);
    if (parts.length === 1 && typeof parts[0] !== "string") return this.eval(parts[0]!, scope, new Map());
    return parts
      .map((p) => {
        if (typeof p === "string") return p;
        const v = this.eval(p, scope, new Map());
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
        throw new ExpressionError(`${describe(v)} cannot be part of a string`);
      })
      .join("");
  }

  private eval(e: Expr, scope: Scope, vars: Map<string, TfValue>): TfValue {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "tuple":
        return e.items.map((item) => this.eval(item, scope, vars));
      case "ref":
        return this.ref(e.parts, scope, vars);
      case "call": {
        if (e.name !== "contains") throw new ExpressionError(`the function ${e.name}() is not supported`);
        if (e.args.length !== 2) throw new ExpressionError("contains() takes a list and a value");
        const list = this.eval(e.args[0]!, scope, vars);
        const item = this.eval(e.args[1]!, scope, vars);
        if (!Array.isArray(list)) throw new ExpressionError(`contains() needs a list, not ${describe(list)}`);
        return list.some((v) => v === item);
      }
      case "for": {
        const source = this.eval(e.source, scope, vars);
        if (source === null || typeof source !== "object") throw new ExpressionError(`for needs a list or a map, not ${describe(source)}`);
        const entries: [TfValue, TfValue][] = Array.isArray(source)
          ? source.map((v, i) => [i, v])
          : Object.keys(source)
              .sort()
              .map((k) => [k, source[k]!]);
        return entries.map(([k, v]) => {
          const inner = new Map(vars);
          if (e.key !== undefined) inner.set(e.key, k);
          inner.set(e.value, v);
          return this.eval(e.result, scope, inner);
        });
      }
    }
  }

  private ref(parts: string[], scope: Scope, vars: Map<string, TfValue>): TfValue {
    const [root, ...rest] = parts;
    const text = parts.join(".");
    let value: TfValue;
    let path: string[];
    if (root !== undefined && vars.has(root)) {
      value = vars.get(root)!;
      path = rest;
    } else if (root === "local" && rest[0] !== undefined) {
      const local = this.locals.get(rest[0]);
      if (!local) throw new ExpressionError(`local.${rest[0]} is not declared`);
      if (this.evaluating.has(local.name)) throw new ExpressionError(`local.${local.name} refers to itself`);
      this.evaluating.add(local.name);
      try {
        value = this.value(local.value, { moduleOutput: scope.moduleOutput });
      } finally {
        this.evaluating.delete(local.name);
      }
      path = rest.slice(1);
    } else if (root === "each" && (rest[0] === "key" || rest[0] === "value")) {
      if (!scope.each) throw new ExpressionError(`${text} needs for_each`);
      value = rest[0] === "key" ? scope.each.key : scope.each.value;
      path = rest.slice(1);
    } else if (root === "module" && rest.length === 2) {
      return scope.moduleOutput(rest[0]!, rest[1]!);
    } else {
      throw new ExpressionError(`${text} is not supported`);
    }
    for (const key of path) {
      if (value === null || typeof value !== "object" || Array.isArray(value) || !(key in value))
        throw new ExpressionError(`${text}: ${describe(value)} has no attribute ${key}`);
      value = value[key]!;
    }
    return value;
  }
}

function closingBrace(raw: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new ExpressionError("unterminated ${");
}
