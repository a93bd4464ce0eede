import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { LAYOUTS, type Layout } from "../catalog/layout";

/** One file a change touches, relative to the catalog folder. */
export interface TouchedFile {
  status: "A" | "M" | "D";
  path: string;
}

export interface Violation {
  files: string[];
  rule: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function declaresImages(catalogDir: string, rel: string): boolean {
  try {
    const data: unknown = parse(fs.readFileSync(path.join(catalogDir, rel), "utf8"));
    return Array.isArray(data) && data.length > 0;
  } catch {
    return true;
  }
}

/** Matches `<images>/<dir>/images.yaml` of a layout; group 1 is the dir. */
export function imagesFilePattern(layout: Layout): RegExp {
  return new RegExp(`^${escape(layout.images)}/([^/]+)/images\\.yaml$`);
}

/**
 * The change rules of the promotion process: manifests (infra admins) and
 * images.yaml (subprojects) are never changed together, and manifests are not delegated.
 */
export function checkChangeRules(files: TouchedFile[], catalogDir: string, layout: Layout = LAYOUTS.projects): Violation[] {
  const MANIFEST = new RegExp(`^${escape(layout.manifests)}/([^/]+)/promoter-manifest\\.yaml$`);
  const IMAGES = imagesFilePattern(layout);
  const violations: Violation[] = [];
  const images = new Map<string, TouchedFile>();
  for (const f of files) {
    const m = IMAGES.exec(f.path);
    if (m) images.set(m[1]!, f);
  }
  for (const f of files) {
    const m = MANIFEST.exec(f.path);
    if (m) {
      const img = images.get(m[1]!);
      if (!img) continue;
      if (f.status === "M") {
        violations.push({
          files: [f.path, img.path],
          rule: "a change that modifies an existing promoter manifest must not also touch its images.yaml; split it into two pull requests",
        });
      } else if (f.status === "A" && img.status === "A" && declaresImages(catalogDir, img.path)) {
        violations.push({
          files: [f.path, img.path],
          rule: "a new project's manifest may arrive with its images.yaml only while that images.yaml declares no images yet; promote images in a later pull request",
        });
      } else if (f.status === "A" && img.status !== "A") {
        violations.push({ files: [f.path, img.path], rule: "a new promoter manifest must not arrive with a change to an existing images.yaml" });
      }
    }
    if (f.status === "A" && f.path.startsWith(`${layout.manifests}/`) && path.posix.basename(f.path) === "OWNERS") {
      violations.push({ files: [f.path], rule: `no OWNERS file may be added under ${layout.manifests}/: manifests are not delegated` });
    }
  }
  return violations;
}
