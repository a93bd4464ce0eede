import type { Catalog, CatalogPolicy } from "../catalog/model";
import { escapeControl, Problems, START, type Position } from "../catalog/problems";
import { placeDestination } from "../catalog/promotion";
import { YamlFile } from "../catalog/yaml";

/** One images.yaml a change touches: its text before (at the base) and after (at the head); undefined where it does not exist. */
export interface ImagesChange {
  /** the images dir (the subproject) */
  dir: string;
  /** path relative to the catalog folder */
  file: string;
  base?: string;
  head?: string;
}

/** A digest+tag (or a digest without tags) that the head promotes and the base did not. */
export interface NewPromotion {
  dir: string;
  image: string;
  digest: string;
  /** undefined: a new digest promoted without a tag */
  tag?: string;
}

export interface PromotionReview {
  /** moved tags (errors) and removed digests (warnings), at their place in the head file */
  problems: Problems;
  promotions: NewPromotion[];
}

interface Listed {
  /** digest -> tag -> position of the tag in the file */
  digests: Map<string, Map<string, Position>>;
  /** position of the image's first entry */
  at: Position;
}

/** The images of one file by name (entries of the same name merged), or undefined when it cannot be read as an images list. */
function listImages(file: string, text: string | undefined): Map<string, Listed> | undefined {
  if (text === undefined) return new Map();
  const yaml = new YamlFile(file, text, new Problems());
  const raw = yaml.value ?? [];
  if (!Array.isArray(raw)) return undefined;
  const out = new Map<string, Listed>();
  raw.forEach((entry: unknown, i) => {
    const e = entry as { name?: unknown; dmap?: unknown } | null;
    if (!e || typeof e.name !== "string" || !e.dmap || typeof e.dmap !== "object" || Array.isArray(e.dmap)) return;
    let listed = out.get(e.name);
    if (!listed) out.set(e.name, (listed = { digests: new Map(), at: yaml.at([i, "name"]) }));
    for (const [digest, tags] of Object.entries(e.dmap as Record<string, unknown>)) {
      let byTag = listed.digests.get(digest);
      if (!byTag) listed.digests.set(digest, (byTag = new Map()));
      if (!Array.isArray(tags)) continue;
      tags.forEach((tag: unknown, t) => {
        if (typeof tag === "string" && !byTag.has(tag)) byTag.set(tag, yaml.at([i, "dmap", digest, t]));
      });
    }
  });
  return out;
}

/**
 * What a change does to production through its images.yaml files: a tag moved to another digest
 * (an error: production never moves a tag), a digest removed (a warning: production keeps it),
 * and every digest+tag promoted anew.
 */
export function reviewPromotions(changes: ImagesChange[]): PromotionReview {
  const problems = new Problems();
  const promotions: NewPromotion[] = [];
  for (const c of changes) {
    const before = listImages(c.file, c.base);
    const after = listImages(c.file, c.head);
    // A file that does not read as an images list is validation's to report.
    if (!before || !after) continue;
    for (const [image, old] of before) {
      const now = after.get(image);
      const tagNow = new Map<string, { digest: string; at: Position }>();
      for (const [digest, tags] of now?.digests ?? []) for (const [tag, at] of tags) tagNow.set(tag, { digest, at });
      for (const [digest, tags] of old.digests) {
        for (const tag of tags.keys()) {
          const moved = tagNow.get(tag);
          if (moved && moved.digest !== digest) {
            problems.error(c.file, moved.at, `tag ${image}:${tag} moved from ${digest} to ${moved.digest}; production cannot move a tag: promote the new digest under a new tag`);
          }
        }
        if (!now?.digests.has(digest)) {
          const tagText = tags.size ? ` (tag${tags.size === 1 ? "" : "s"} ${[...tags.keys()].join(", ")})` : "";
          problems.warning(
            c.file,
            now ? now.at : START,
            `digest ${digest} of image ${image}${tagText} is no longer listed; removing it from images.yaml does not remove it from production`,
          );
        }
      }
    }
    for (const [image, now] of after) {
      const old = before.get(image);
      const tagBefore = new Set<string>();
      for (const tags of old?.digests.values() ?? []) for (const tag of tags.keys()) tagBefore.add(tag);
      for (const [digest, tags] of now.digests) {
        const oldTags = old?.digests.get(digest);
        if (tags.size === 0 && !oldTags) promotions.push({ dir: c.dir, image, digest });
        for (const tag of tags.keys()) {
          // a moved tag is an error above, not a promotion
          if (!oldTags?.has(tag) && !tagBefore.has(tag)) promotions.push({ dir: c.dir, image, digest, tag });
        }
      }
    }
  }
  return { problems, promotions };
}

/** How many of the stack's production roots the manifest of each images dir promotes to. */
export function productionRegions(catalog: Pick<Catalog, "manifests"> | undefined, policy: Pick<CatalogPolicy, "productionRegistries">): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of catalog?.manifests ?? []) {
    const roots = new Set(m.destinations.flatMap((d) => placeDestination(d, policy.productionRegistries)?.root ?? []));
    out.set(m.dir, roots.size);
  }
  return out;
}

/** Beyond this many promotions a subproject's list is collapsed. */
export const COLLAPSE_ABOVE = 20;
/** Lines listed per subproject at most; the rest is counted. */
export const MAX_LISTED = 150;
/** The whole section stays below this many characters, within one GitHub comment beside the plan. */
export const PROMOTIONS_BUDGET = 16_000;

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const regions = (n: number | undefined) => (n === undefined ? "no production regions (no promoter manifest)" : plural(n, "production region"));
/** `sha256:` and the first 12 hex digits, then an ellipsis. */
export const shortDigest = (digest: string) => (digest.length > 19 ? `${digest.slice(0, 19)}…` : digest);

export function promotionLine(p: NewPromotion, n: number | undefined): string {
  const what = p.tag === undefined ? `${code(p.image)} (${code(shortDigest(p.digest))}, by digest, no tag)` : `${code(`${p.image}:${p.tag}`)} (${code(shortDigest(p.digest))})`;
  return `- ${what} -> ${regions(n)}`;
}

function summaryLine(dir: string, list: NewPromotion[], n: number | undefined): string {
  const images = new Set(list.map((p) => p.image)).size;
  const tags = [...new Set(list.flatMap((p) => p.tag ?? []))];
  const tagText = tags.length === 0 ? "" : `, tag${tags.length === 1 ? "" : "s"} ${tags.slice(0, 5).map(code).join(", ")}${tags.length > 5 ? ` and ${tags.length - 5} more` : ""}`;
  return `**${code(dir)}**: ${plural(list.length, "promotion")} of ${plural(images, "image")}${tagText} -> ${regions(n)}`;
}

function block(dir: string, list: NewPromotion[], n: number | undefined): string {
  const lines = list.slice(0, MAX_LISTED).map((p) => promotionLine(p, n));
  if (list.length > MAX_LISTED) lines.push(`- ... and ${list.length - MAX_LISTED} more: see ${dir}/images.yaml`);
  const out = [summaryLine(dir, list, n), ""];
  if (list.length > COLLAPSE_ABOVE) out.push(`<details><summary>${plural(list.length, "promotion")}</summary>`, "", ...lines, "", "</details>");
  else out.push(...lines);
  return out.join("\n") + "\n\n";
}

/**
 * The "Promotions" section of the pull-request comment: per subproject a summary line, then
 * each new promotion (collapsed above COLLAPSE_ABOVE); within PROMOTIONS_BUDGET characters,
 * past which subprojects get their summary line only. Empty when nothing is promoted.
 */
export function renderPromotions(promotions: NewPromotion[], regionsByDir: ReadonlyMap<string, number>, budget: number = PROMOTIONS_BUDGET): string {
  if (promotions.length === 0) return "";
  const byDir = new Map<string, NewPromotion[]>();
  for (const p of promotions) {
    const list = byDir.get(p.dir);
    if (list) list.push(p);
    else byDir.set(p.dir, [p]);
  }
  const dirs = [...byDir.keys()].sort();
  const head = [
    "### Promotions",
    "",
    `${plural(promotions.length, "new promotion")} in ${plural(dirs.length, "subproject")}; production keeps every one: a promoted tag is never moved or removed.`,
    "",
  ].join("\n") + "\n";
  let text = head;
  const reserve = 200;
  let i = 0;
  for (; i < dirs.length; i++) {
    const dir = dirs[i]!;
    const full = block(dir, byDir.get(dir)!, regionsByDir.get(dir));
    const short = summaryLine(dir, byDir.get(dir)!, regionsByDir.get(dir)) + " (list left out: see its images.yaml)\n\n";
    const piece = text.length + full.length <= budget - reserve ? full : short;
    if (text.length + piece.length > budget - reserve) break;
    text += piece;
  }
  if (i < dirs.length) {
    const left = dirs.slice(i).reduce((n, d) => n + byDir.get(d)!.length, 0);
    text += `... and ${plural(left, "promotion")} in ${plural(dirs.length - i, "more subproject")}: run \`npm run check-change -- --base REF --markdown FILE\` locally for the list.\n`;
  }
  return text.split("\n").map(escapeControl).join("\n");
}
