import { decode } from "./decode";
import type { CatalogPolicy, Image, ImageSet, Manifest } from "./model";
import type { Problems } from "./problems";
import { digestProblem, imageNameProblem, registryNameProblem, tagProblem } from "./rules";
import { ImagesSchema, PlainManifestSchema, ThinManifestSchema } from "./schemas";
import type { PathKey, YamlFile } from "./yaml";

/** Reads an images list (an images.yaml file, or `images:` of a plain manifest) at `base` in `file`. */
export function readImages(file: YamlFile, raw: unknown, base: PathKey[], problems: Problems): Image[] {
  const list = (raw ?? []) as { name: string; dmap: Record<string, string[] | null> }[];
  const images: Image[] = [];
  // An image may be listed more than once (upstream appends a new entry per release);
  // its tags are checked across all of its entries.
  const tagOwners = new Map<string, Map<string, { digest: string; index: number }>>();
  list.forEach((entry, i) => {
    const at = (...path: PathKey[]) => file.at([...base, i, ...path]);
    const np = imageNameProblem(entry.name);
    if (np) problems.error(file.file, at("name"), np);
    let tagOwner = tagOwners.get(entry.name);
    if (!tagOwner) tagOwners.set(entry.name, (tagOwner = new Map()));
    const digests = Object.entries(entry.dmap).map(([digest, rawTags]) => {
      const dp = digestProblem(digest);
      if (dp) problems.error(file.file, file.at([...base, i, "dmap", digest], "key"), dp);
      const tags = rawTags ?? [];
      tags.forEach((tag, t) => {
        const tp = tagProblem(tag);
        if (tp) problems.error(file.file, at("dmap", digest, t), tp);
        const owner = tagOwner.get(tag);
        if (owner !== undefined && owner.digest !== digest) {
          problems.error(
            file.file,
            at("dmap", digest, t),
            `tag "${tag}" of image "${entry.name}" is already on ${owner.digest} (line ${file.at([...base, owner.index, "dmap", owner.digest], "key").line}); a tag names one digest`,
          );
        } else tagOwner.set(tag, { digest, index: i });
      });
      return { digest, tags };
    });
    images.push({ name: entry.name, digests });
  });
  return images;
}

export function readImageSet(file: YamlFile, dir: string, problems: Problems): ImageSet | undefined {
  const raw = decode(file, ImagesSchema, problems);
  if (raw === undefined) return undefined;
  return { dir, images: readImages(file, raw, [], problems) };
}

/** Where each destination sits: under which production root, and the path below it. */
export interface Placed {
  root: string;
  rel: string;
}

export function placeDestination(name: string, roots: readonly string[]): Placed | undefined {
  for (const root of roots) {
    if (name === root) return { root, rel: "" };
    if (name.startsWith(root + "/")) return { root, rel: name.slice(root.length) };
  }
  return undefined;
}

export interface ReadManifest {
  manifest: Manifest;
  /** index of the `src: true` registry, for positions */
  sourceIndex: number;
  /** images inline, for a plain single-file manifest */
  images?: Image[];
}

/** Reads a promoter manifest and applies the per-manifest rules. */
export function readManifest(
  file: YamlFile,
  dir: string,
  policy: CatalogPolicy,
  problems: Problems,
  layout: "thin" | "plain" = "thin",
): ReadManifest | undefined {
  const data = decode(file, layout === "thin" ? ThinManifestSchema : PlainManifestSchema, problems);
  if (!data) return undefined;
  const sources = data.registries.filter((r) => r.src === true);
  if (sources.length !== 1) {
    const at = sources.length > 1 ? file.at(["registries", data.registries.indexOf(sources[1]!), "src"]) : file.at(["registries"], "key");
    problems.error(file.file, at, `a manifest needs exactly one registry with src: true (it has ${sources.length})`);
    return undefined;
  }
  const source = sources[0]!.name;
  const sourceIndex = data.registries.indexOf(sources[0]!);
  const destinations: string[] = [];
  const byRel = new Map<string, Map<string, number>>();
  let badName = false;
  data.registries.forEach((reg, i) => {
    const np = registryNameProblem(reg.name);
    if (np) {
      problems.error(file.file, file.at(["registries", i, "name"]), np);
      badName = true;
    }
  });
  // A name spelled so that it slips past coverage and overlap (a trailing "/", "a//b") is never placed.
  if (badName) return undefined;
  data.registries.forEach((reg, i) => {
    if (reg.src === true) return;
    const at = file.at(["registries", i, "name"]);
    const sa = reg["service-account"];
    if (sa === undefined) {
      problems.warning(file.file, at, `destination ${reg.name} names no service-account; the promoter account ${policy.promoterServiceAccount} is expected`);
    } else if (sa !== policy.promoterServiceAccount) {
      problems.error(
        file.file,
        file.at(["registries", i, "service-account"]),
        `service-account "${sa}" must be the promoter account "${policy.promoterServiceAccount}"`,
      );
    }
    destinations.push(reg.name);
    const placed = placeDestination(reg.name, policy.productionRegistries);
    if (!placed) {
      problems.error(
        file.file,
        at,
        `destination ${reg.name} is not under a production registry root; use <root>${"/..."} with a root from the stack configuration (e.g. ${policy.productionRegistries[0] ?? "none configured"})`,
      );
      return;
    }
    let roots = byRel.get(placed.rel);
    if (!roots) byRel.set(placed.rel, (roots = new Map()));
    const first = roots.get(placed.root);
    if (first !== undefined) {
      problems.error(file.file, at, `destination ${reg.name} is listed twice (first at line ${file.at(["registries", first, "name"]).line}); remove one`);
    } else roots.set(placed.root, i);
  });
  for (const [rel, roots] of byRel) {
    const missing = policy.productionRegistries.filter((r) => !roots.has(r));
    if (missing.length > 0) {
      const path = rel === "" ? "the root path" : `path ${rel.slice(1)}`;
      problems.error(
        file.file,
        file.at(["registries"], "key"),
        `destination ${path} lacks ${missing.length} production root${missing.length === 1 ? "" : "s"}: add ${missing.map((r) => r + rel).join(", ")}`,
      );
    }
  }
  const manifest: Manifest = { dir, source, destinations };
  if (layout === "plain") {
    const raw = (data as { images: unknown }).images;
    return { manifest, sourceIndex, images: readImages(file, raw, ["images"], problems) };
  }
  return { manifest, sourceIndex };
}

export interface Promotion {
  manifest: Manifest;
  sourceIndex: number;
  manifestFile: YamlFile;
  images: Image[];
  imagesFile: YamlFile;
  /** path of the images list within imagesFile */
  imagesBase: PathKey[];
}

/**
 * Across all manifests, no two different digests may be promoted to the same
 * `destination/image:tag`. Destinations are compared below their production
 * root, so each image is looked at once, not once per region.
 */
export function checkOverlaps(promotions: Promotion[], policy: CatalogPolicy, problems: Problems): void {
  interface Claim {
    p: Promotion;
    imageIndex: number;
    roots: Set<string>;
  }
  const claims = new Map<string, Claim[]>();
  for (const p of promotions) {
    const rootsByRel = new Map<string, Set<string>>();
    for (const d of p.manifest.destinations) {
      const placed = placeDestination(d, policy.productionRegistries);
      if (!placed) continue;
      let s = rootsByRel.get(placed.rel);
      if (!s) rootsByRel.set(placed.rel, (s = new Set()));
      s.add(placed.root);
    }
    p.images.forEach((image, imageIndex) => {
      for (const [rel, roots] of rootsByRel) {
        const key = `${rel}/${image.name}`;
        const list = claims.get(key);
        const claim = { p, imageIndex, roots };
        if (list) list.push(claim);
        else claims.set(key, [claim]);
      }
    });
  }
  for (const [key, list] of claims) {
    if (list.length < 2) continue;
    // Every earlier claim of a tag is kept: manifests may cover different roots.
    const owners = new Map<string, { digest: string; claim: Claim }[]>();
    for (const claim of list) {
      const image = claim.p.images[claim.imageIndex]!;
      for (const { digest, tags } of image.digests) {
        tags.forEach((tag, t) => {
          const earlier = owners.get(tag);
          if (!earlier) {
            owners.set(tag, [{ digest, claim }]);
            return;
          }
          let root: string | undefined;
          const prev = earlier.find((e) => {
            if (e.digest === digest || e.claim.p === claim.p) return false;
            root = [...claim.roots].find((r) => e.claim.roots.has(r));
            return root !== undefined;
          });
          earlier.push({ digest, claim });
          if (!prev || root === undefined) return;
          const prevFile = prev.claim.p.imagesFile;
          const prevLine = prevFile.at([...prev.claim.p.imagesBase, prev.claim.imageIndex, "dmap", prev.digest], "key").line;
          const f = claim.p.imagesFile;
          problems.error(
            f.file,
            f.at([...claim.p.imagesBase, claim.imageIndex, "dmap", digest, t]),
            `${root}${key}:${tag} is promoted as ${digest} here but as ${prev.digest} by ${prevFile.file}:${prevLine}; one tag can name only one digest`,
          );
        });
      }
    }
  }
}
