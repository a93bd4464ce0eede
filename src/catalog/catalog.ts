import * as fs from "node:fs";
import * as path from "node:path";
import { readGroups, readRestrictions } from "./groups";
import { PROJECTS_PATH, readInfra } from "./infra";
import { LAYOUTS, type Layout } from "./layout";
import { stagingRegistries, type Catalog, type CatalogPolicy, type ImageSet, type Owners } from "./model";
import { readOwners } from "./owners";
import { Problems, START, type Problem } from "./problems";
import { checkOverlaps, readImageSet, readManifest, type Promotion } from "./promotion";
import { GROUP_PREFIX, GROUP_SUFFIX_MAX } from "./rules";
import { YamlFile } from "./yaml";

export interface CatalogResult {
  /** Present only when there is no error. */
  catalog?: Catalog;
  /** Errors, warnings and notes, sorted by file and line. */
  problems: Problem[];
}

const MANIFEST = "promoter-manifest.yaml";

/** What a catalog path is, looked at without following it blindly. */
export type PathKind = { kind: "file"; size: number } | { kind: "dir" } | { kind: "missing" } | { kind: "bad"; why: string };

/** Larger catalog files are refused (upstream's largest images.yaml is about 1 MB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Names people write for the ones the catalog reads, by the lowercase name written. */
const NEAR_MISSES = new Map<string, string>([
  ["groups.yml", "groups.yaml"],
  ["groups.yaml", "groups.yaml"],
  ["images.yml", "images.yaml"],
  ["images.yaml", "images.yaml"],
  ["owners.yaml", "OWNERS"],
  ["owners.yml", "OWNERS"],
  ["owners.md", "OWNERS"],
  ["owners", "OWNERS"],
  ["promoter-manifest.yml", "promoter-manifest.yaml"],
  ["promoter-manifest.yaml", "promoter-manifest.yaml"],
  ["restrictions.yml", "restrictions.yaml"],
  ["restrictions.yaml", "restrictions.yaml"],
]);

/**
 * Reads files of one catalog folder; paths in problems are relative to it. A path that
 * exists but is not a readable regular file inside the root is an error, never skipped.
 */
class CatalogFolder {
  private readonly realRoot: string;

  constructor(
    readonly root: string,
    readonly problems: Problems,
  ) {
    this.realRoot = fs.realpathSync(root);
  }

  classify(rel: string): PathKind {
    const abs = path.join(this.root, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
      return { kind: "bad", why: `cannot be read (${code ?? (e as Error).message})` };
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = fs.realpathSync(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ELOOP") return { kind: "bad", why: "is a symbolic link that loops" };
        return { kind: "bad", why: `is a dangling symbolic link (to ${fs.readlinkSync(abs)})` };
      }
      if (target !== this.realRoot && !target.startsWith(this.realRoot + path.sep))
        return { kind: "bad", why: `is a symbolic link to ${target}, outside the catalog root; copy the file into the catalog instead` };
      st = fs.statSync(target);
    }
    if (st.isFile()) return { kind: "file", size: st.size };
    if (st.isDirectory()) return { kind: "dir" };
    if (st.isFIFO()) return { kind: "bad", why: "is a named pipe (FIFO), not a regular file" };
    if (st.isCharacterDevice() || st.isBlockDevice()) return { kind: "bad", why: "is a device, not a regular file" };
    if (st.isSocket()) return { kind: "bad", why: "is a socket, not a regular file" };
    return { kind: "bad", why: "is not a regular file" };
  }

  isDir(rel: string): boolean {
    return this.classify(rel).kind === "dir";
  }

  /** Names in the folder `rel`, sorted; a folder that cannot be listed is an error. */
  list(rel: string): string[] {
    try {
      return fs.readdirSync(path.join(this.root, rel)).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.problems.error(rel, START, `${rel} cannot be listed (${code === "EACCES" ? "permission denied" : (code ?? (e as Error).message)})`);
      return [];
    }
  }

  /** The file at `rel`, or undefined when it is absent; anything else in its place is an error. */
  read(rel: string): YamlFile | undefined {
    const what = this.classify(rel);
    if (what.kind === "missing") return undefined;
    if (what.kind === "dir") {
      this.problems.error(rel, START, `${rel} is a folder; a file is expected here`);
      return undefined;
    }
    if (what.kind === "bad") {
      this.problems.error(rel, START, `${rel} ${what.why}`);
      return undefined;
    }
    if (what.size > MAX_FILE_BYTES) {
      this.problems.error(rel, START, `${rel} is ${(what.size / 1024 / 1024).toFixed(1)} MB, more than the limit of ${MAX_FILE_BYTES / 1024 / 1024} MB for a catalog file`);
      return undefined;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.root, rel));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.problems.error(rel, START, `${rel} cannot be read (${code === "EACCES" ? "permission denied" : (code ?? (e as Error).message)})`);
      return undefined;
    }
    const text = decodeUtf8(rel, bytes, this.problems);
    return text === undefined ? undefined : new YamlFile(rel, text, this.problems);
  }

  /** Every path below `rel` (files, folders and whatever else), catalog-relative, sorted; a folder is visited once. */
  walk(rel: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (dir: string) => {
      const real = fs.realpathSync(path.join(this.root, dir));
      if (seen.has(real)) {
        this.problems.error(dir, START, `${dir} links back to a folder above it; remove the link`);
        return;
      }
      seen.add(real);
      for (const name of this.list(dir)) {
        const child = `${dir}/${name}`;
        out.push(child);
        if (this.isDir(child)) visit(child);
      }
    };
    const top = this.classify(rel);
    if (top.kind === "dir") visit(rel);
    else if (top.kind !== "missing") this.read(rel);
    return out;
  }

  /** Folders directly in `rel`; other entries there are reported (a file or link where a folder belongs). */
  subdirs(rel: string, expected: string): string[] {
    const top = this.classify(rel);
    if (top.kind !== "dir") {
      if (top.kind !== "missing") this.read(rel);
      return [];
    }
    const dirs: string[] = [];
    for (const name of this.list(rel)) {
      const child = `${rel}/${name}`;
      const what = this.classify(child);
      if (what.kind === "dir") dirs.push(name);
      else if (what.kind === "bad") this.problems.error(child, START, `${child} ${what.why}`);
      else if (what.kind === "file") this.problems.warning(child, START, `${child} is not read; only ${rel}/<dir>/${expected} belongs here`);
    }
    return dirs;
  }

  /** A warning for a near-miss name beside the files the catalog reads; true when it was one. */
  nearMiss(rel: string): boolean {
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    const expected = NEAR_MISSES.get(base.toLowerCase());
    if (!expected || expected === base) return false;
    this.problems.warning(rel, START, `${rel} is not read: the catalog reads ${rel.slice(0, rel.length - base.length)}${expected}; rename it`);
    return true;
  }
}

/** UTF-8 text of a file; invalid bytes are an error at their line, a byte-order mark a warning. */
function decodeUtf8(rel: string, bytes: Buffer, problems: Problems): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString("latin1").split("\n").length;
    problems.error(rel, { line, col: 1 }, `${rel} is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")} on line ${line}); save it as UTF-8`);
    return undefined;
  }
  if (text.startsWith("\uFEFF")) {
    problems.warning(rel, START, `${rel} starts with a byte-order mark; save it as UTF-8 without one`);
    text = text.slice(1);
  }
  return text;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      decoder.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return bytes.length;
}

interface PromotionInputs {
  imageSets: ImageSet[];
  owners: Owners[];
  promotions: Promotion[];
}

/** The thin-manifest layout: `images/<dir>/images.yaml` + `manifests/<dir>/promoter-manifest.yaml`. */
function readPromotionTree(folder: CatalogFolder, policy: CatalogPolicy, layout: Layout): PromotionInputs {
  const { problems } = folder;
  const IMAGES = layout.images;
  const MANIFESTS = layout.manifests;
  const depth = MANIFESTS.split("/").length;
  const imageSets: ImageSet[] = [];
  const owners: Owners[] = [];
  const imageFiles = new Map<string, { file: YamlFile; set: ImageSet }>();

  for (const dir of folder.subdirs(IMAGES, "images.yaml")) {
    for (const name of folder.list(`${IMAGES}/${dir}`)) folder.nearMiss(`${IMAGES}/${dir}/${name}`);
    const file = folder.read(`${IMAGES}/${dir}/images.yaml`);
    if (file) {
      const set = readImageSet(file, dir, problems);
      if (set) {
        imageSets.push(set);
        imageFiles.set(dir, { file, set });
      }
    }
    const ownersFile = folder.read(`${IMAGES}/${dir}/OWNERS`);
    if (ownersFile) {
      const o = readOwners(ownersFile, dir, problems);
      if (o) owners.push(o);
    }
  }

  const promotions: Promotion[] = [];
  const manifestDirs = new Set<string>();
  for (const rel of folder.walk(MANIFESTS)) {
    const parts = rel.split("/");
    const base = parts[parts.length - 1];
    if (base === "OWNERS") {
      problems.error(rel, START, `manifests are not delegated: remove ${rel} (approvals for images live in ${IMAGES}/<dir>/OWNERS)`);
      continue;
    }
    if (base !== MANIFEST) {
      if (folder.isDir(rel) || folder.nearMiss(rel)) continue;
      problems.warning(rel, START, `${rel} is not read; only ${MANIFESTS}/<dir>/${MANIFEST} belongs under ${MANIFESTS}/`);
      continue;
    }
    if (parts.length !== depth + 2) {
      problems.error(rel, START, `${rel} is not at ${MANIFESTS}/<dir>/${MANIFEST}; move it up to exactly that depth`);
      continue;
    }
    const dir = parts[depth]!;
    manifestDirs.add(dir);
    const file = folder.read(rel);
    if (!file) continue;
    const read = readManifest(file, dir, policy, problems);
    const images = imageFiles.get(dir);
    if (!folder.isDir(IMAGES)) {
      problems.error(rel, START, `there is no ${IMAGES}/ folder; ${rel} needs ${IMAGES}/${dir}/images.yaml`);
    } else if (!images && folder.classify(`${IMAGES}/${dir}/images.yaml`).kind === "missing") {
      problems.error(rel, START, `${rel} has no ${IMAGES}/${dir}/images.yaml; add it (an empty file means no images yet)`);
    }
    if (read && images) {
      promotions.push({ manifest: read.manifest, sourceIndex: read.sourceIndex, manifestFile: file, images: images.set.images, imagesFile: images.file, imagesBase: [] });
    }
  }
  for (const [dir, { set }] of imageFiles) {
    if (!manifestDirs.has(dir) && set.images.length > 0)
      problems.warning(`${IMAGES}/${dir}/images.yaml`, START, `no ${MANIFESTS}/${dir}/${MANIFEST} promotes these images`);
  }
  return { imageSets, owners, promotions };
}

function checkSources(promotions: Promotion[], declared: string[], problems: Problems): void {
  for (const p of promotions) {
    const src = p.manifest.source;
    if (!declared.some((r) => src === r || src.startsWith(r + "/"))) {
      problems.warning(
        p.manifestFile.file,
        p.manifestFile.at(["registries", p.sourceIndex, "name"]),
        `source registry ${src} is not a staging registry this catalog declares`,
      );
    }
  }
}

/** Reads and validates a whole catalog folder. */
export function loadCatalog(root: string, policy: CatalogPolicy, layout: Layout = LAYOUTS.projects): CatalogResult {
  const problems = new Problems();
  const folder = new CatalogFolder(root, problems);
  const infraFile = folder.read(layout.infra);
  if (!infraFile && folder.classify(layout.infra).kind === "missing")
    problems.error(layout.infra, START, `the catalog has no ${layout.infra}; it lists the staging projects under infra.staging.projects`);
  const staging = infraFile ? readInfra(infraFile, policy, problems) : undefined;

  const { imageSets, owners, promotions } = readPromotionTree(folder, policy, layout);
  checkOverlaps(promotions, policy, problems);

  const restrictionsFile = folder.read(`${layout.groups}/restrictions.yaml`);
  const restrictions = restrictionsFile ? readRestrictions(restrictionsFile, problems) : undefined;
  const groupPaths = folder.walk(layout.groups);
  for (const rel of groupPaths) folder.nearMiss(rel);
  const groupFiles = groupPaths
    .filter((rel) => rel.endsWith("/groups.yaml"))
    .map((rel) => folder.read(rel))
    .filter((f): f is YamlFile => f !== undefined)
    .map((file) => ({ file, pathInGroups: file.file.slice(`${layout.groups}/`.length) }));
  const groups = readGroups(groupFiles, restrictions, policy, problems);

  if (staging && infraFile) {
    const declared = staging.projects.flatMap((p) => stagingRegistries(p, policy));
    checkSources(promotions, declared, problems);
    const known = new Set(groups.map((g) => g.email));
    const checkWriters = (writers: string, at: (string | number)[], owner: string) => {
      const [local, domain] = writers.split("@");
      if (!local?.startsWith(GROUP_PREFIX) || domain !== policy.domain) return;
      const pos = infraFile.at([...PROJECTS_PATH, ...at], "key");
      const suffix = local.slice(GROUP_PREFIX.length);
      if (suffix.length > GROUP_SUFFIX_MAX) {
        problems.error(
          infraFile.file,
          pos,
          `writers group ${writers} of ${owner} has ${suffix.length} characters after "${GROUP_PREFIX}" (at most ${GROUP_SUFFIX_MAX}); set writers: to a shorter group`,
        );
      } else if (!known.has(writers)) {
        problems.error(
          infraFile.file,
          pos,
          `writers group ${writers} of ${owner} has no entry in ${layout.groups}/**/groups.yaml; add it there (the groups reconciler deletes every group groups.yaml does not list)`,
        );
      }
    };
    for (const p of staging.projects) {
      if (p.kind === "dedicated") checkWriters(p.writers, [p.id], p.id);
      else for (const r of p.repositories) if (r.writers) checkWriters(r.writers, [p.id, "repositories", r.name], `${p.id}/${r.name}`);
    }
  }

  const sorted = problems.sorted();
  if (problems.errorCount > 0 || !staging) return { problems: sorted };
  return {
    catalog: {
      projects: staging.projects,
      skipped: staging.skipped,
      imageSets,
      manifests: promotions.map((p) => p.manifest),
      owners,
      groups,
    },
    problems: sorted,
  };
}

/**
 * Validates a promoter tree alone: `images/` + `manifests/` (no infra.yaml or
 * groups), or a single plain `promoter-manifest.yaml` with its images inline.
 */
export function checkPromotionTree(root: string, policy: CatalogPolicy): Problem[] {
  const problems = new Problems();
  const folder = new CatalogFolder(root, problems);
  if (!folder.isDir("images") && !folder.isDir("manifests")) {
    const plain = folder.read(MANIFEST);
    if (plain) {
      const read = readManifest(plain, ".", policy, problems, "plain");
      if (read?.images) {
        checkOverlaps(
          [{ manifest: read.manifest, sourceIndex: read.sourceIndex, manifestFile: plain, images: read.images, imagesFile: plain, imagesBase: ["images"] }],
          policy,
          problems,
        );
      }
    } else {
      problems.error("images", START, `there is no images/ folder and no ${MANIFEST}; a promoter tree holds images/<dir>/images.yaml and manifests/<dir>/${MANIFEST}`);
    }
    return problems.sorted();
  }
  if (!folder.isDir("images")) problems.error("images", START, "there is no images/ folder; add images/<dir>/images.yaml for each manifest");
  const { promotions } = readPromotionTree(folder, policy, LAYOUTS.projects);
  checkOverlaps(promotions, policy, problems);
  return problems.sorted();
}
