import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, isSeq, parseDocument, visit, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import type { Layout } from "./layout";
import type { CatalogPolicy } from "./model";
import { Problems, START, type Problem } from "./problems";
import { readManifest } from "./promotion";
import { YamlFile } from "./yaml";

const MANIFEST = "promoter-manifest.yaml";

/** The coverage errors of readManifest: what syncing repairs; every other error in a manifest stops it. */
const COVERAGE = [
  /^destination \S+ is not under a production registry root; /,
  /^destination \S+ is listed twice \(first at line \d+\); remove one$/,
  /^destination (?:path \S+|the root path) lacks \d+ production roots?: add /,
];

export function isCoverageProblem(p: Problem): boolean {
  return COVERAGE.some((re) => re.test(p.message));
}

export interface ManifestChange {
  op: "+" | "-";
  name: string;
  /** why a destination is removed */
  why?: "not a configured production root" | "listed twice";
}

export interface ManifestSync {
  /** catalog-relative path */
  file: string;
  changes: ManifestChange[];
  /** the repaired text */
  text: string;
}

export interface SyncResult {
  /** manifests looked at */
  files: number;
  changed: ManifestSync[];
  /** errors that stop the sync: nothing may be written when there is one */
  problems: Problem[];
}

function place(name: string, roots: readonly string[]): { root: string; rel: string } | undefined {
  for (const root of roots) {
    if (name === root) return { root, rel: "" };
    if (name.startsWith(root + "/")) return { root, rel: name.slice(root.length) };
  }
  return undefined;
}

interface Entry {
  node: YAMLMap;
  index: number;
  name: string;
  src: boolean;
  placed?: { root: string; rel: string };
}

export type TextSync = { text: string; changes: ManifestChange[] } | { error: string; index?: number };

/**
 * The manifest text with the destinations of each path exactly the configured roots:
 * destinations under no root and repeated ones are removed, missing roots added after
 * the last destination of their path (in the order of the roots), each a copy of that
 * destination with its name changed. Comments, order and style are kept; the text is
 * returned unchanged (and no changes) when it is in sync.
 */
export function syncManifestText(text: string, roots: readonly string[]): TextSync {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = bom ? text.slice(1) : text;
  const doc = parseDocument(body);
  if (doc.errors.length > 0) return { error: doc.errors[0]!.message };
  const top = doc.contents;
  const seq = isMap(top) ? top.get("registries", true) : undefined;
  if (!isSeq(seq)) return { error: "registries is not a list" };
  const entries: Entry[] = [];
  for (const [index, node] of (seq as YAMLSeq<unknown>).items.entries()) {
    const name = isMap(node) ? node.get("name", true) : undefined;
    if (!isMap(node) || !isScalar(name) || typeof name.value !== "string")
      return { error: "sync-manifests edits registries written as plain mappings with a name (no aliases)", index };
    const src = node.get("src") === true;
    entries.push({ node: node as YAMLMap, index, name: name.value, src, placed: src ? undefined : place(name.value, roots) });
  }

  const removed = new Map<Entry, ManifestChange>();
  const byRel = new Map<string, Map<string, Entry>>();
  for (const e of entries) {
    if (e.src) continue;
    if (!e.placed) {
      removed.set(e, { op: "-", name: e.name, why: "not a configured production root" });
      continue;
    }
    let have = byRel.get(e.placed.rel);
    if (!have) byRel.set(e.placed.rel, (have = new Map()));
    if (have.has(e.placed.root)) removed.set(e, { op: "-", name: e.name, why: "listed twice" });
    else have.set(e.placed.root, e);
  }
  if (removed.size > 0 && byRel.size === 0) {
    const first = [...removed.keys()][0]!;
    return {
      error: `no destination is under a production root of the stack, so the destination path is unknown; add one such as ${roots[0]}/<path> and run again`,
      index: first.index,
    };
  }

  // New entries go after the last kept destination of their path.
  const after = new Map<Entry, YAMLMap[]>();
  const added: ManifestChange[] = [];
  for (const [rel, have] of byRel) {
    const missing = roots.filter((r) => !have.has(r));
    if (missing.length === 0) continue;
    const anchor = [...have.values()].reduce((a, b) => (b.index > a.index ? b : a));
    const nodes = after.get(anchor) ?? [];
    for (const root of missing) {
      const node = anchor.node.clone() as YAMLMap;
      visit(node, {
        Node(_, n) {
          const c = n as Node & { spaceBefore?: boolean };
          c.commentBefore = undefined;
          c.comment = undefined;
          c.spaceBefore = false;
        },
        Pair(_, p: Pair) {
          for (const n of [p.key, p.value] as (Node | null)[]) {
            if (n && typeof n === "object") {
              n.commentBefore = undefined;
              n.comment = undefined;
              (n as { spaceBefore?: boolean }).spaceBefore = false;
            }
          }
        },
      });
      node.set("name", root + rel);
      nodes.push(node);
      added.push({ op: "+", name: root + rel });
    }
    after.set(anchor, nodes);
  }
  if (removed.size === 0 && added.length === 0) return { text, changes: [] };

  // A removed entry's comment and blank line stay, on the entry that follows it.
  const items: unknown[] = [];
  let pendingComment: string | undefined;
  let pendingSpace = false;
  for (const e of entries) {
    if (removed.has(e)) {
      if (e.node.commentBefore) pendingComment = pendingComment ? `${pendingComment}\n${e.node.commentBefore}` : e.node.commentBefore;
      pendingSpace ||= e.node.spaceBefore === true;
      continue;
    }
    if (pendingComment) e.node.commentBefore = e.node.commentBefore ? `${pendingComment}\n${e.node.commentBefore}` : pendingComment;
    if (pendingSpace) e.node.spaceBefore = true;
    pendingComment = undefined;
    pendingSpace = false;
    items.push(e.node, ...(after.get(e) ?? []));
  }
  if (pendingComment) seq.comment = seq.comment ? `${pendingComment}\n${seq.comment}` : pendingComment;
  seq.items = items;

  let out = doc.toString({ lineWidth: 0, indentSeq: indentsSeq(body, top as YAMLMap, seq) });
  if (!body.endsWith("\n") && out.endsWith("\n")) out = out.slice(0, -1);
  if (body.includes("\r\n")) out = out.replace(/\r?\n/g, "\r\n");
  return { text: bom + out, changes: [...removed.values(), ...added] };
}

/** Whether the file indents the dashes of `registries:` below its key (`  - name:`) or not (`- name:`). */
function indentsSeq(text: string, top: YAMLMap, seq: YAMLSeq): boolean {
  const pair = top.items.find((p) => isScalar(p.key) && p.key.value === "registries");
  const key = pair && isScalar(pair.key) ? pair.key.range : undefined;
  if (!key || !seq.range || seq.flow) return true;
  const col = (offset: number) => offset - (text.lastIndexOf("\n", offset - 1) + 1);
  return col(seq.range[0]) > col(key[0]);
}

function problemsAt(file: string, loaded: Problem[], fallback: string): Problem[] {
  const own = loaded.filter((p) => p.file === file && p.severity === "error");
  return own.length > 0 ? own : [{ file, ...START, severity: "error", message: fallback }];
}

/**
 * Syncs every `<manifests>/<dir>/promoter-manifest.yaml` of the catalog at `root` with the
 * policy's production roots. `loaded` are the catalog's problems (for files it could not read).
 * Writes nothing.
 */
export function syncManifests(root: string, layout: Layout, policy: CatalogPolicy, loaded: Problem[]): SyncResult {
  const result: SyncResult = { files: 0, changed: [], problems: [] };
  const folder = path.join(root, layout.manifests);
  let dirs: string[];
  try {
    dirs = fs.readdirSync(folder).sort();
  } catch {
    return result;
  }
  for (const dir of dirs) {
    const rel = `${layout.manifests}/${dir}/${MANIFEST}`;
    let st: fs.Stats;
    try {
      if (!fs.statSync(path.join(folder, dir)).isDirectory()) continue;
      st = fs.lstatSync(path.join(root, rel));
    } catch {
      continue;
    }
    result.files++;
    if (!st.isFile()) {
      result.problems.push(...problemsAt(rel, loaded, `${rel} is not a regular file; sync-manifests edits regular files only`));
      continue;
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(fs.readFileSync(path.join(root, rel)));
    } catch {
      result.problems.push(...problemsAt(rel, loaded, `${rel} cannot be read as UTF-8 text`));
      continue;
    }
    const problems = new Problems();
    const file = new YamlFile(rel, text.startsWith("\uFEFF") ? text.slice(1) : text, problems);
    readManifest(file, dir, policy, problems);
    const stops = problems.sorted().filter((p) => p.severity === "error" && !isCoverageProblem(p));
    if (stops.length > 0) {
      result.problems.push(...stops);
      continue;
    }
    const synced = syncManifestText(text, policy.productionRegistries);
    if ("error" in synced) {
      const at = synced.index === undefined ? START : file.at(["registries", synced.index, "name"]);
      result.problems.push({ file: rel, ...at, severity: "error", message: synced.error });
      continue;
    }
    if (synced.changes.length === 0) continue;
    // The repaired text must read back with no error at all.
    const check = new Problems();
    readManifest(new YamlFile(rel, synced.text.replace(/^\uFEFF/, ""), check), dir, policy, check);
    const left = check.sorted().filter((p) => p.severity === "error");
    if (left.length > 0) throw new Error(`sync-manifests would leave errors in ${rel}:\n${left.map((p) => `${p.line}:${p.col}: ${p.message}`).join("\n")}`);
    result.changed.push({ file: rel, changes: synced.changes, text: synced.text });
  }
  result.problems.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.col - b.col));
  return result;
}
