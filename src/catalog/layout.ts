import * as fs from "node:fs";
import * as path from "node:path";

/** Where each kind of catalog file lives under the catalog root; paths use forward slashes. */
export interface Layout {
  name: LayoutName;
  /** the file that lists the staging projects */
  infra: string;
  /** folder of `<dir>/images.yaml` and `<dir>/OWNERS` */
  images: string;
  /** folder of `<dir>/promoter-manifest.yaml` */
  manifests: string;
  /** folder of `**\/groups.yaml` and `restrictions.yaml` */
  groups: string;
}

export const LAYOUT_NAMES = ["projects", "k8s.io"] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

export const LAYOUTS: Record<LayoutName, Layout> = {
  /** The bundled example estate: everything under one folder. */
  projects: { name: "projects", infra: "infra.yaml", images: "images", manifests: "manifests", groups: "groups" },
  /** The upstream repository (kubernetes/k8s.io) as it is. */
  "k8s.io": {
    name: "k8s.io",
    infra: "infra/gcp/infra.yaml",
    images: "registry.k8s.io/images",
    manifests: "registry.k8s.io/manifests",
    groups: "groups",
  },
};

export class LayoutError extends Error {}

/** Whether `rel` names anything (a file, folder or link) under `root`. */
export function exists(root: string, rel: string): boolean {
  try {
    fs.lstatSync(path.join(root, rel));
    return true;
  } catch {
    return false;
  }
}

function lookedFor(): string {
  return LAYOUT_NAMES.map((n) => `${LAYOUTS[n].infra} (layout ${n})`).join(" or ");
}

/** The layout of a catalog root, from the infra.yaml it holds; none or both is an error that says what was looked for. */
export function detectLayout(root: string): Layout {
  const found = LAYOUT_NAMES.filter((n) => exists(root, LAYOUTS[n].infra));
  const repository = path.resolve(root, "../..");
  if (found.length === 1 && found[0] === "projects" && path.resolve(root) === path.join(repository, "infra/gcp") && exists(repository, LAYOUTS["k8s.io"].images))
    throw new LayoutError(`${root} is the infra/gcp folder of an upstream checkout; pass the repository root ${repository} (layout k8s.io)`);
  if (found.length === 1) return LAYOUTS[found[0]!];
  if (found.length === 0) throw new LayoutError(`${root} is not a catalog root: it holds neither ${lookedFor().replace(" or ", " nor ")}`);
  throw new LayoutError(
    `${root} is ambiguous: it holds both ${lookedFor().replace(" or ", " and ")}; pass the folder of the catalog you mean`,
  );
}

/** The layout a stack names, checked against what the root holds. */
export function expectLayout(root: string, name: LayoutName): Layout {
  const layout = LAYOUTS[name];
  if (exists(root, layout.infra)) return layout;
  throw new LayoutError(`${root} has no ${layout.infra}, which the ${name} layout needs; check catalogRoot and catalogLayout`);
}
