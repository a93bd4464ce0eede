/**
 * The change set that adds one staging repository to a catalog: its infra.yaml entry (a
 * dedicated project or a repository of the shared project), images.yaml, OWNERS, promoter
 * manifest, writers group and its restrictions.yaml line. Existing files are edited where
 * the yaml Document API locates the nodes, by inserting text at those offsets: every other
 * byte (comments, order, quoting, indentation) stays as it was. Writes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import { globToRegExp } from "./groups";
import { exists, type Layout } from "./layout";
import type { CatalogPolicy } from "./model";

export const GROUP_PREFIX = "k8s-infra-staging-";
/** The most characters a writers group may have after `k8s-infra-staging-`. */
export const GROUP_NAME_MAX = 18;

export interface NewStagingOptions {
  name: string;
  shared: boolean;
  /** the writers group, when given; else `k8s-infra-staging-<name>` (shortened when too long) */
  writers?: string;
  approvers: string[];
  members: string[];
  /** folder under groups/ that gets the writers group */
  sig: string;
}

export interface PlannedFile {
  /** catalog-relative path */
  file: string;
  text: string;
  /** the text before, when the file exists */
  before?: string;
}

export type NewStagingPlan = { files: PlannedFile[]; messages: string[]; dir: string; writers: string } | { refuse: string };

/** Thrown for options that cannot make a change set (a usage error). */
export class NewStagingUsage extends Error {}

const NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/** A writers group name of at most 18 characters: trailing words dropped, then cut. */
export function shortenGroupName(name: string): string {
  if (name.length <= GROUP_NAME_MAX) return name;
  const words = name.split("-");
  while (words.length > 1 && words.join("-").length > GROUP_NAME_MAX) words.pop();
  return words.join("-").slice(0, GROUP_NAME_MAX).replace(/-+$/, "");
}

function read(root: string, rel: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, rel), "utf8");
  } catch {
    return undefined;
  }
}

const col = (text: string, offset: number) => offset - (text.lastIndexOf("\n", offset - 1) + 1);

/** The offset just after the line on which `offset` lies (its newline included). */
function endOfLine(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

/**
 * Where the pair ends: the end of its last scalar or flow collection, or of its key when the
 * value is empty. (A block collection's own range runs on over the comments after it.)
 */
function pairEnd(pair: Pair): number {
  const v = pair.value as Node | null;
  if (v && v.range && !(isScalar(v) && v.value === null && v.range[0] === v.range[1])) return nodeEnd(v);
  return (pair.key as Node).range![1];
}

function nodeEnd(node: Node): number {
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    return isMap(node) ? pairEnd(last as Pair) : nodeEnd(last as Node);
  }
  return node.range![1];
}

function insertAt(text: string, offset: number, insert: string): string {
  const head = text.slice(0, offset);
  return (head === "" || head.endsWith("\n") ? head : head + "\n") + insert + text.slice(offset);
}

function parse(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new NewStagingRefusal(`${file} does not parse (${doc.errors[0]!.message.split("\n")[0]}); fix it first`);
  return doc;
}

export class NewStagingRefusal extends Error {}

function mapAt(doc: Document.Parsed, keys: string[]): YAMLMap | undefined {
  const n = doc.getIn(keys, true);
  return isMap(n) ? (n as YAMLMap) : undefined;
}

function keyOf(p: Pair): string | undefined {
  return isScalar(p.key) && typeof p.key.value === "string" ? p.key.value : undefined;
}

/** Lines of a new mapping entry `key:` with optional `child: value` lines under it. */
function entryLines(indent: number, key: string, children: [string, string][], childIndent = 2): string {
  const pad = " ".repeat(indent);
  return `${pad}${key}:\n` + children.map(([k, v]) => `${pad}${" ".repeat(childIndent)}${k}: ${v}\n`).join("");
}

/** The shared staging project: the managed entry with `repositories`. */
function sharedProject(projects: YAMLMap): Pair | undefined {
  return projects.items.find((p) => isMap(p.value) && (p.value as YAMLMap).has("repositories") && !(p.value as YAMLMap).has("managed_by")) as Pair | undefined;
}

function editInfra(text: string, file: string, opts: NewStagingOptions, writers: string | undefined): { text: string; projectId: string } {
  const doc = parse(text, file);
  const projects = mapAt(doc, ["infra", "staging", "projects"]);
  if (!projects || projects.items.length === 0) throw new NewStagingRefusal(`${file} has no infra.staging.projects to add to`);
  const children: [string, string][] = writers ? [["writers", writers]] : [];
  if (!opts.shared) {
    const id = `k8s-staging-${opts.name}`;
    if (projects.items.some((p) => keyOf(p as Pair) === id)) throw new NewStagingRefusal(`${id} already exists in ${file}; nothing is written`);
    // After the last dedicated project this program manages (no repositories, no managed_by);
    // alphabetically among them when they are sorted.
    const dedicated = (projects.items as Pair[]).filter((p) => !(isMap(p.value) && ((p.value as YAMLMap).has("repositories") || (p.value as YAMLMap).has("managed_by"))));
    const names = dedicated.map((p) => keyOf(p) ?? "");
    const sorted = names.every((n, i) => i === 0 || names[i - 1]! <= n);
    const pool = dedicated.length > 0 ? dedicated : (projects.items as Pair[]);
    let anchor = pool[pool.length - 1]!;
    let before: Pair | undefined;
    if (sorted && dedicated.length > 0) {
      const next = dedicated.find((p) => (keyOf(p) ?? "") > id);
      if (next && next !== dedicated[0]) anchor = dedicated[dedicated.indexOf(next) - 1]!;
      else if (next) before = next;
    }
    const indent = col(text, (anchor.key as Node).range![0]);
    const lines = entryLines(indent, id, children);
    const offset = before ? startOfEntry(text, before) : endOfLine(text, pairEnd(anchor));
    return { text: insertAt(text, offset, lines), projectId: id };
  }
  const shared = sharedProject(projects);
  if (!shared) throw new NewStagingRefusal(`${file} has no shared staging project (an entry with repositories) for --shared`);
  const projectId = keyOf(shared)!;
  const repos = (shared.value as YAMLMap).get("repositories", true);
  if (!isMap(repos) || repos.items.length === 0 || repos.flow)
    throw new NewStagingRefusal(`${projectId}'s repositories in ${file} is not a block mapping to add to`);
  if (repos.items.some((p) => keyOf(p as Pair) === opts.name)) throw new NewStagingRefusal(`repository ${opts.name} already exists in ${projectId} (${file}); nothing is written`);
  const last = repos.items[repos.items.length - 1] as Pair;
  const indent = col(text, (last.key as Node).range![0]);
  return { text: insertAt(text, endOfLine(text, pairEnd(last)), entryLines(indent, opts.name, children)), projectId };
}

/** Offset of the start of the line of a pair's key, before the comment lines right above it. */
function startOfEntry(text: string, pair: Pair): number {
  let start = text.lastIndexOf("\n", (pair.key as Node).range![0] - 1) + 1;
  for (;;) {
    if (start === 0) return 0;
    const prev = text.lastIndexOf("\n", start - 2) + 1;
    if (/^\s*#/.test(text.slice(prev, start))) start = prev;
    else return start;
  }
}

interface GroupEntry {
  email: string;
  name: string;
  description: string;
  members: string[];
}

function groupLines(indent: number, g: GroupEntry, seqIndent: boolean): string {
  const pad = " ".repeat(indent);
  const sub = pad + "  ";
  const items = seqIndent ? sub + "  " : sub;
  return (
    `${pad}- email-id: ${g.email}\n` +
    `${sub}name: ${g.name}\n` +
    `${sub}description: |-\n${sub}  ${g.description}\n` +
    `${sub}settings:\n${sub}  ReconcileMembers: "true"\n` +
    (g.members.length > 0 ? `${sub}members:\n` + g.members.map((m) => `${items}- ${m}\n`).join("") : "")
  );
}

function editGroups(text: string | undefined, file: string, g: GroupEntry, modeline: string | undefined): string {
  if (text === undefined) return (modeline ? `${modeline}\n` : "") + `groups:\n\n` + groupLines(2, g, true);
  const doc = parse(text, file);
  const top = doc.contents;
  const seq = isMap(top) ? (top as YAMLMap).get("groups", true) : undefined;
  if (!isSeq(seq) || seq.flow || seq.items.length === 0) throw new NewStagingRefusal(`${file}'s groups is not a block list to add to`);
  const items = (seq as YAMLSeq).items as Node[];
  const last = items[items.length - 1]!;
  const dash = text.lastIndexOf("-", last.range![0] - 1);
  const indent = col(text, dash);
  // The style of the list under `members:` in the existing entries.
  let seqIndent = true;
  for (const item of items) {
    if (!isMap(item)) continue;
    const pair = (item as YAMLMap).items.find((p) => keyOf(p as Pair) === "members") as Pair | undefined;
    if (pair && isSeq(pair.value) && !(pair.value as YAMLSeq).flow && (pair.value as YAMLSeq).range) {
      seqIndent = col(text, (pair.value as YAMLSeq).range![0]) > col(text, (pair.key as Node).range![0]);
      break;
    }
  }
  return insertAt(text, endOfLine(text, nodeEnd(last)), "\n" + groupLines(indent, g, seqIndent));
}

function editRestrictions(text: string, file: string, groupsPath: string, email: string): string {
  const doc = parse(text, file);
  const top = doc.contents;
  const seq = isMap(top) ? (top as YAMLMap).get("restrictions", true) : undefined;
  if (!isSeq(seq) || seq.flow || seq.items.length === 0) throw new NewStagingRefusal(`${file}'s restrictions is not a block list to add to`);
  // As the existing lines are written: the address between ^ and $, its dots unescaped.
  const pattern = `"^${email}$"`;
  const items = (seq as YAMLSeq).items as Node[];
  // The first restriction whose path matches is the one the reconciler applies.
  const first = items.find((it) => {
    const p = isMap(it) ? (it as YAMLMap).get("path") : undefined;
    return typeof p === "string" && globToRegExp(p).test(groupsPath);
  }) as YAMLMap | undefined;
  if (first && first.get("path") === groupsPath) {
    const allowed = first.get("allowedGroups", true);
    if (isSeq(allowed) && !allowed.flow && allowed.items.length > 0) {
      const lastItem = (allowed as YAMLSeq).items[(allowed as YAMLSeq).items.length - 1] as Node;
      const indent = col(text, text.lastIndexOf("-", lastItem.range![0] - 1));
      return insertAt(text, endOfLine(text, nodeEnd(lastItem)), `${" ".repeat(indent)}- ${pattern}\n`);
    }
    throw new NewStagingRefusal(`${file}: the allowedGroups of ${groupsPath} is not a block list to add to`);
  }
  // A new restriction for the file, before the one that would match it (or at the end).
  const anchor = first ?? items[items.length - 1]!;
  const dash = text.lastIndexOf("-", anchor.range![0] - 1);
  const indent = col(text, dash);
  const pad = " ".repeat(indent);
  const pathItem = (items[0] as YAMLMap).get("allowedGroups", true) as YAMLSeq | undefined;
  const itemsIndent =
    pathItem && isSeq(pathItem) && pathItem.range
      ? col(text, text.lastIndexOf("-", ((pathItem.items[0] as Node | undefined)?.range ?? pathItem.range)[0] - 1)) - indent
      : 4;
  const lines = `${pad}- path: "${groupsPath}"\n${pad}  allowedGroups:\n${pad}${" ".repeat(Math.max(itemsIndent, 2))}- ${pattern}\n`;
  if (first) return insertAt(text, text.lastIndexOf("\n", dash) + 1, lines);
  return insertAt(text, endOfLine(text, nodeEnd(anchor)), lines);
}

/** The change set for a new staging repository, or why there is none. */
export function planNewStaging(root: string, layout: Layout, policy: CatalogPolicy, opts: NewStagingOptions): NewStagingPlan {
  if (!NAME.test(opts.name) || opts.name.includes("--"))
    throw new NewStagingUsage(`NAME "${opts.name}" must be lowercase letters, digits and single hyphens, starting with a letter`);
  if (!/^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/.test(opts.sig)) throw new NewStagingUsage(`--sig "${opts.sig}" must be a folder under ${layout.groups}/ such as sig-k8s-infra`);
  const messages: string[] = [];
  const bundled = layout.name === "projects";
  const dir = `k8s-staging-${opts.name}`;
  try {
    const infraText = read(root, layout.infra);
    if (infraText === undefined) throw new NewStagingRefusal(`${layout.infra} cannot be read`);

    let writers = opts.writers;
    let entryWriters: string | undefined;
    if (writers !== undefined) {
      entryWriters = writers;
    } else {
      const short = shortenGroupName(opts.name);
      writers = `${GROUP_PREFIX}${short}@${policy.domain}`;
      if (short !== opts.name) {
        entryWriters = writers;
        messages.push(`${GROUP_PREFIX}${opts.name} is longer than ${GROUP_NAME_MAX} characters after ${GROUP_PREFIX}; using ${writers} (pass --writers to choose another)`);
      }
    }
    const infra = editInfra(infraText, layout.infra, opts, entryWriters);
    for (const rel of [`${layout.images}/${dir}`, `${layout.manifests}/${dir}`])
      if (exists(root, rel)) throw new NewStagingRefusal(`${rel} already exists; nothing is written`);

    const files: PlannedFile[] = [{ file: layout.infra, text: infra.text, before: infraText }];
    const modeline = (schema: string, depth: number) => (bundled ? `# yaml-language-server: $schema=${"../".repeat(depth)}schemas/${schema}.schema.json` : undefined);
    const withModeline = (schema: string, depth: number, body: string) => (bundled ? `${modeline(schema, depth)}\n${body}` : body);

    files.push({ file: `${layout.images}/${dir}/images.yaml`, text: withModeline("images", 3, "# No images yet\n") });
    const list = (xs: string[]) => xs.map((x) => `  - ${x}\n`).join("");
    files.push({
      file: `${layout.images}/${dir}/OWNERS`,
      text: withModeline("owners", 3, `# See the OWNERS docs at https://go.k8s.io/owners\n\napprovers:\n${list(opts.approvers)}\nreviewers:\n${list(opts.approvers)}`),
    });

    const source = opts.shared ? `${policy.stagingRegion}-docker.pkg.dev/${infra.projectId}/${opts.name}` : `gcr.io/${infra.projectId}`;
    const manifest =
      `# google group for ${source} is ${writers}\n` +
      `registries:\n  - name: ${source}\n    src: true\n` +
      policy.productionRegistries.map((r) => `  - name: ${r}/${opts.name}\n    service-account: ${policy.promoterServiceAccount}\n`).join("");
    files.push({ file: `${layout.manifests}/${dir}/promoter-manifest.yaml`, text: withModeline("promoter-manifest", 3, manifest) });

    const groupsFile = `${layout.groups}/${opts.sig}/groups.yaml`;
    const groupsText = read(root, groupsFile);
    const groupName = writers.split("@")[0]!;
    const group: GroupEntry = {
      email: writers,
      name: groupName,
      description: `ACL for staging ${opts.shared ? `${source}` : `${infra.projectId}`} images`,
      members: opts.members,
    };
    if (writers.split("@")[1] === policy.domain && groupName.startsWith(GROUP_PREFIX)) {
      const depth = opts.sig.split("/").length + 2;
      files.push({ file: groupsFile, text: editGroups(groupsText, groupsFile, group, modeline("groups", depth)), ...(groupsText !== undefined ? { before: groupsText } : {}) });
      const restrictionsFile = `${layout.groups}/restrictions.yaml`;
      const restrictionsText = read(root, restrictionsFile);
      if (restrictionsText !== undefined)
        files.push({ file: restrictionsFile, text: editRestrictions(restrictionsText, restrictionsFile, `${opts.sig}/groups.yaml`, writers), before: restrictionsText });
    } else {
      messages.push(`${writers} is not a ${GROUP_PREFIX}* group of ${policy.domain}: it is only referenced, no group is declared`);
    }
    return { files, messages, dir, writers };
  } catch (e) {
    if (e instanceof NewStagingRefusal) return { refuse: e.message };
    throw e;
  }
}

/** A short diff-like summary of one planned file: `+` lines added (new files: all of them). */
export function summarise(f: PlannedFile): string[] {
  if (f.before === undefined) return [`create ${f.file}`, ...f.text.replace(/\n$/, "").split("\n").map((l) => `+ ${l}`)];
  const a = f.before.split("\n");
  const b = f.text.split("\n");
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  let j = 0;
  while (j < a.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
  const out = [`modify ${f.file} (at line ${i + 1})`];
  for (const l of a.slice(i, a.length - j)) out.push(`- ${l}`);
  for (const l of b.slice(i, b.length - j)) out.push(`+ ${l}`);
  return out;
}
