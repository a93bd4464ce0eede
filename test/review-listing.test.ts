/** The readable plan (`npm run plan`): renderListing on the bundled catalog, and styleFor. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { policyOf, readStackConfigFile } from "../src/config";
import { buildEstate, type Estate } from "../src/estate/estate";
import { renderListing } from "../src/review/listing";
import { COLOUR, PLAIN, styleFor } from "../src/review/style";
import { memberCount, stripAnsi } from "./fixtures/review/support";
import { REPO_ROOT, baseCatalog, groupsFile, infra, stagingGroup, writeTree } from "./helpers";

/** The bundled catalog is the example estate: it is read and built with the example stack. */
const config = readStackConfigFile(REPO_ROOT, "example");
/** The small catalogs of test/helpers.ts are written for the prod policy (domain kubernetes.io). */
const prodConfig = readStackConfigFile(REPO_ROOT, "prod");

function bundledEstate(): Estate {
  const result = loadCatalog(`${REPO_ROOT}/projects`, policyOf(config, "example"));
  if (!result.catalog) throw new Error("the bundled catalog does not validate");
  return buildEstate(result.catalog, config, "example");
}

const estate = bundledEstate();
const text = renderListing(estate, PLAIN);
const lines = text.split("\n");

/** The listing's blocks: a header line (not indented) and the indented lines under it. */
function blocks(listing: string): Map<string, { header: string; body: string[] }> {
  const out = new Map<string, { header: string; body: string[] }>();
  let current: { header: string; body: string[] } | undefined;
  for (const l of listing.split("\n")) {
    if (l === "") {
      current = undefined;
      continue;
    }
    if (!l.startsWith(" ")) {
      current = { header: l, body: [] };
      out.set(l.split(" (")[0]!, current);
    } else current?.body.push(l);
  }
  return out;
}
const byName = blocks(text);
const block = (name: string) => {
  const b = byName.get(name);
  if (!b) throw new Error(`no block for ${name} in:\n${text}`);
  return b;
};

const DEDICATED = ["k8s-staging-boskos", "k8s-staging-cluster-api-gcp", "k8s-staging-kind", "k8s-staging-kueue", "k8s-staging-releng"];
const SHARED_REPOS: [name: string, writers: string, extra: string][] = [
  ["charts", "k8s-infra-staging-charts@example.com", ""],
  ["cluster-inventory-api", "k8s-infra-staging-cluster-inv-api@example.com", ""],
  ["kro", "k8s-infra-staging-kro@example.com", ""],
  ["node-readiness-controller", "k8s-infra-staging-node-readiness@example.com", ", dry run"],
];
/** The grants of a dedicated project without `release` or `iam` (README's sample for k8s-staging-boskos). */
const DEDICATED_GRANTS =
  "  grants      artifactregistry.reader ×4, artifactregistry.repoAdmin ×2, artifactregistry.writer ×2, cloudbuild.builds.builder ×1, cloudbuild.builds.editor ×2, containeranalysis.occurrences.viewer ×1, iam.serviceAccountTokenCreator ×1, serviceusage.serviceUsageConsumer ×1, storage.legacyBucketOwner ×2, storage.legacyBucketWriter ×2, storage.objectAdmin ×4, storage.objectCreator ×1, storage.objectViewer ×3, viewer ×2";

const IAM_TYPES = new Set([
  "gcp:projects/iAMMember:IAMMember",
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  "gcp:storage/bucketIAMMember:BucketIAMMember",
  "gcp:serviceaccount/iAMMember:IAMMember",
]);

describe("renderListing on the bundled catalog", () => {
  it("has one header per staging project, in catalog order, with its kind; the skipped project is absent", () => {
    // every line that is not indented, but the summary line after the blank line
    const headers = lines.slice(0, lines.indexOf("")).filter((l) => !l.startsWith(" "));
    expect(headers.filter((h) => h.startsWith("k8s-staging-")).map((h) => h.replace(/ \(.*$/, ""))).toEqual([
      "k8s-staging-boskos",
      "k8s-staging-cluster-api-gcp",
      "k8s-staging-images",
      "k8s-staging-kind",
      "k8s-staging-kueue",
      "k8s-staging-releng",
    ]);
    expect(headers.slice(0, 6).every((h) => h.startsWith("k8s-staging-"))).toBe(true);
    expect(headers.at(-1)).toBe("image promoter");
    for (const id of DEDICATED) expect(block(id).header).toMatch(new RegExp(`^${id} \\(dedicated, \\d+ resources\\)$`));
    expect(block("k8s-staging-images").header).toMatch(/^k8s-staging-images \(shared, \d+ resources\)$/);
    expect(text).not.toContain("k8s-staging-gcb-untrusted");
  });

  it("counts each project's resources: its component and everything under it; the rest is under the other components", () => {
    let sum = 0;
    for (const p of estate.projects) {
      const n = Number(/, (\d+) resources\)$/.exec(block(p.id).header)?.[1]);
      const own = estate.declarations.filter((d) => d.urn === p.component || d.parent === p.component).length;
      expect(n, p.id).toBe(own);
      sum += n;
    }
    const promoter = estate.declarations.filter((d) => d.urn.endsWith("::image-promoter") || d.parent?.endsWith("::image-promoter"));
    expect(promoter).toHaveLength(1 + config.productionRegistries.length);
    const components = new Set(estate.declarations.filter((d) => d.parent === null).map((d) => d.urn));
    const projects = new Set(estate.projects.map((p) => p.component));
    const others = estate.declarations.filter((d) => !projects.has(d.urn) && !projects.has(d.parent ?? ""));
    expect(others.every((d) => components.has(d.urn) || components.has(d.parent ?? ""))).toBe(true);
    expect(sum + others.length).toBe(estate.declarations.length);
  });

  it("when the writers groups have a component of their own, a block counts the groups and memberships", () => {
    const groups = estate.declarations.filter((d) => d.type === "gcp:cloudidentity/group:Group");
    const memberships = estate.declarations.filter((d) => d.type === "gcp:cloudidentity/groupMembership:GroupMembership");
    // the bundled catalog declares 9 groups; their memberships are the members and managers of groups.yaml
    expect(groups).toHaveLength(9);
    expect(memberships).toHaveLength(groups.reduce((n, g) => n + memberCount(g.name), 0));
    const ownComponent = groups.every((g) => !estate.projects.some((p) => p.component === g.parent));
    if (!ownComponent) return;
    expect(block("writers groups").body).toEqual([`  declares    9 Cloud Identity groups with ${memberships.length} memberships`]);
  });

  it("lists a dedicated project's registries with their cleanup, buckets (60 days), writers with their member count, and builder", () => {
    expect(config.bucketRetentionDays).toBe(60);
    for (const id of DEDICATED) {
      const name = id.slice("k8s-staging-".length);
      const writers = `k8s-infra-staging-${name}@example.com`;
      const n = memberCount(writers);
      expect(block(id).body.slice(0, 4), id).toEqual([
        `  registries  gcr.io/${id} (cleanup after 90 days, dry run), us-central1-docker.pkg.dev/${id}/images (cleanup after 90 days)`,
        `  buckets     gs://${id} (60 days), gs://${id}-gcb (60 days)`,
        `  writers     ${writers} (${n} member${n === 1 ? "" : "s"})`,
        `  builder     gcb-image-builder@${id}.iam.gserviceaccount.com`,
      ]);
    }
    // README's sample and the groups files agree: boskos has 3 writers, kueue 4 (managers included)
    expect(block("k8s-staging-boskos").body).toContain("  writers     k8s-infra-staging-boskos@example.com (3 members)");
    expect(block("k8s-staging-kueue").body).toContain("  writers     k8s-infra-staging-kueue@example.com (4 members)");
  });

  it("summarises grants by role, sorted, without roles/, with a count that adds up to the project's IAM members", () => {
    for (const p of estate.projects) {
      const grants = block(p.id).body.find((l) => l.startsWith("  grants      "));
      expect(grants, p.id).toBeDefined();
      const parts = grants!.slice("  grants      ".length).split(", ");
      const roles = parts.map((x) => x.replace(/ ×\d+$/, ""));
      expect(roles).toEqual([...roles].sort());
      expect(roles.every((r) => !r.startsWith("roles/"))).toBe(true);
      const total = parts.reduce((s, x) => s + Number(/×(\d+)$/.exec(x)?.[1]), 0);
      const iam = estate.declarations.filter((d) => d.parent === p.component && IAM_TYPES.has(d.type)).length;
      expect(total, p.id).toBe(iam);
      expect(block(p.id).body.at(-1), p.id).toBe(grants);
    }
    for (const id of ["k8s-staging-boskos", "k8s-staging-cluster-api-gcp", "k8s-staging-kind", "k8s-staging-kueue"]) {
      expect(block(id).body.at(-1), id).toBe(DEDICATED_GRANTS);
    }
    // release: true adds the release-engineering grants (repoAdmin: the release editors on the project, plus A on each of its 2 repositories)
    const releng = block("k8s-staging-releng").body.at(-1)!;
    expect(releng).toContain("artifactregistry.admin ×1");
    expect(releng).toContain("artifactregistry.repoAdmin ×3");
    expect(releng).toContain("viewer ×3");
  });

  it("lists the shared project's -gcb bucket (90 days) and every repository with registry, cleanup, writers and builder", () => {
    expect(config.sharedBuildBucketRetentionDays).toBe(90);
    const body = block("k8s-staging-images").body;
    expect(body[0]).toBe("  buckets     gs://k8s-staging-images-gcb (90 days)");
    const expected: string[] = [];
    for (const [repo, writers, extra] of SHARED_REPOS) {
      const n = memberCount(writers);
      expected.push(
        `  ${repo}`,
        `    registry  us-central1-docker.pkg.dev/k8s-staging-images/${repo} (cleanup after 90 days${extra})`,
        `    writers   ${writers} (${n} member${n === 1 ? "" : "s"})`,
        `    builder   ${repo}-sa@k8s-staging-images.iam.gserviceaccount.com`,
      );
    }
    expect(body.slice(1, -1)).toEqual(expected);
    expect(body.at(-1)).toBe(
      "  grants      artifactregistry.reader ×8, artifactregistry.repoAdmin ×4, artifactregistry.writer ×8, cloudbuild.builds.editor ×1, iam.serviceAccountTokenCreator ×4, iam.serviceAccountUser ×4, iam.workloadIdentityUser ×4, storage.admin ×2, viewer ×5",
    );
    expect(text).toContain("(cleanup after 90 days, dry run)");
    // one shared repository declares a dry run; each dedicated project's gcr.io repository is one
    expect(text.match(/dry run/g)).toHaveLength(1 + DEDICATED.length);
  });

  it("ends with the promoter's line and the summary line", () => {
    expect(config.productionRegistries).toHaveLength(22);
    expect(block("image promoter").body).toEqual(["  writes      22 production roots (roles/artifactregistry.writer)"]);
    expect(text.endsWith(`\n\n${estate.declarations.length} resources in 6 staging projects, 4 shared repositories\n`)).toBe(true);
    expect(lines.at(-2)).toMatch(/^\d+ resources in 6 staging projects, 4 shared repositories$/);
  });

  it("with COLOUR, headers are bold and their counts dim; without the codes it is the plain listing", () => {
    const coloured = renderListing(estate, COLOUR);
    expect(coloured).toContain("\x1b[1mk8s-staging-boskos\x1b[0m\x1b[2m (dedicated, ");
    expect(coloured).toContain("\x1b[1mkro\x1b[0m");
    expect(coloured).toContain("\x1b[1mimage promoter\x1b[0m");
    expect(stripAnsi(coloured)).toBe(text);
    expect(text).not.toContain("\x1b[");
  });
});

describe("renderListing on small catalogs", () => {
  it("uses the singular, and marks a writers group declared elsewhere", () => {
    const dir = writeTree({
      ...baseCatalog(),
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-wide:", "  repositories:", "    solo:", "      writers: sig-foo@kubernetes.io"),
    });
    const result = loadCatalog(dir, policyOf(prodConfig, "prod"));
    expect(result.catalog).toBeDefined();
    const small = buildEstate(result.catalog!, prodConfig, "prod");
    const out = renderListing(small, PLAIN);
    expect(out).toContain("  writers     k8s-infra-staging-demo@kubernetes.io (1 member)\n");
    expect(out).toContain("  solo\n    registry  us-central1-docker.pkg.dev/k8s-staging-wide/solo (cleanup after 90 days)\n");
    expect(out).toContain("    writers   sig-foo@kubernetes.io (not declared here)\n");
    expect(out.endsWith(`\n\n${small.declarations.length} resources in 2 staging projects, 1 shared repository\n`)).toBe(true);
  });

  it("counts a group with no members as 0 members, and no shared project as 0 shared repositories", () => {
    // the group needs its groups.yaml entry (a writers group without one is a catalog error): an entry that lists nobody
    const dir = writeTree({ ...baseCatalog(), "groups/sig-demo/groups.yaml": groupsFile(stagingGroup("demo", []), stagingGroup("other")) });
    const result = loadCatalog(dir, policyOf(prodConfig, "prod"));
    expect(result.catalog).toBeDefined();
    const out = renderListing(buildEstate(result.catalog!, prodConfig, "prod"), PLAIN);
    expect(out).toContain("  writers     k8s-infra-staging-demo@kubernetes.io (0 members)\n");
    expect(out).toMatch(/\n\d+ resources in 1 staging project, 0 shared repositories\n$/);
  });
});

describe("styleFor", () => {
  it("is PLAIN for a stream that is not a terminal (a pipe, a file)", () => {
    expect(styleFor(new PassThrough() as unknown as NodeJS.WriteStream, {})).toBe(PLAIN);
    expect(styleFor({ isTTY: false } as unknown as NodeJS.WriteStream, {})).toBe(PLAIN);
  });

  it("is COLOUR on a terminal, and PLAIN there when NO_COLOR is set", () => {
    const tty = { isTTY: true } as any;
    expect(styleFor(tty, {})).toBe(COLOUR);
    expect(styleFor(tty, { NO_COLOR: "1" })).toBe(PLAIN);
  });

  it("PLAIN leaves text alone; COLOUR wraps it in SGR codes", () => {
    for (const f of ["add", "del", "chg", "bold", "dim"] as const) expect(PLAIN[f]("x")).toBe("x");
    expect(COLOUR.add("x")).toBe("\x1b[32mx\x1b[0m");
    expect(COLOUR.del("x")).toBe("\x1b[31mx\x1b[0m");
    expect(COLOUR.chg("x")).toBe("\x1b[33mx\x1b[0m");
  });
});
