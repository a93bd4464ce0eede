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

/** Reads files of one catalog folder; paths in problems are relative to it. */
class CatalogFolder {
  constructor(
    readonly root: string,
    readonly problems: Problems,
  ) {}

  isDir(rel: string): boolean {
    try {
      return fs.statSync(path.join(this.root, rel)).isDirectory();
    } catch {
      return false;
    }
  }

  read(rel: string): YamlFile | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.root, rel), "utf8");
    } catch {
      return undefined;
    }
    return new YamlFile(rel, text, this.problems);
  }

  /** Every file below `rel`, as catalog-relative paths with forward slashes, sorted. */
  walk(rel: string): string[] {
    const out: string[] = [];
    const visit = (dir: string) => {
      for (const name of fs.readdirSync(path.join(this.root, dir)).sort()) {
        const child = `${dir}/${name}`;
        if (this.isDir(child)) visit(child);
        else out.push(child);
      }
    };
    if (this.isDir(rel)) visit(rel);
    return out;
  }

  subdirs(rel: string): string[] {
    if (!this.isDir(rel)) return [];
    return fs
      .readdirSync(path.join(this.root, rel))
      .filter((n) => this.isDir(`${rel}/${n}`))
      .sort();
  }
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

  for (const dir of folder.subdirs(IMAGES)) {
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
    } else if (!images && !fs.existsSync(path.join(folder.root, `${IMAGES}/${dir}/images.yaml`))) {
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
  if (!infraFile) problems.error(layout.infra, START, `the catalog has no ${layout.infra}; it lists the staging projects under infra.staging.projects`);
  const staging = infraFile ? readInfra(infraFile, policy, problems) : undefined;

  const { imageSets, owners, promotions } = readPromotionTree(folder, policy, layout);
  checkOverlaps(promotions, policy, problems);

  const restrictionsFile = folder.read(`${layout.groups}/restrictions.yaml`);
  const restrictions = restrictionsFile ? readRestrictions(restrictionsFile, problems) : undefined;
  const groupFiles = folder
    .walk(layout.groups)
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
