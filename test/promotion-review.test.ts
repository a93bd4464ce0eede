/**
 * The promotion review of a change: `npm run check-change -- --base REF [--markdown FILE]` on a git
 * history of a copy of the bundled catalog (a moved tag, a removed digest, one new image, a release
 * of a hundred), reviewPromotions and renderPromotions on their own, and the Promotions section in
 * the presubmit's plan.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { diffPlans } from "../src/review/diff";
import { renderMarkdown } from "../src/review/markdown";
import { policyOf, readStackConfigFile } from "../src/config";
import { COLLAPSE_ABOVE, productionRegions, PROMOTIONS_BUDGET, renderPromotions, reviewPromotions, type NewPromotion } from "../src/review/promotions";
import { removeTempDirs, tempDir } from "./fixtures/estate/support";
import { copySample, K8SIO } from "./fixtures/k8sio/sample";
import { copyBundled, exampleConfig, replaceOnce, runCli, STACK } from "./fixtures/review/support";
import { DIGEST_A, DIGEST_B, REPO_ROOT } from "./helpers";

afterAll(removeTempDirs);

const KIND = "images/k8s-staging-kind/images.yaml";
const KUEUE = "images/k8s-staging-kueue/images.yaml";
const RELENG = "images/k8s-staging-releng/images.yaml";
const KIND_DIGEST = "sha256:cacb2da53a0d3b363bf53f11c9e0f714d7605471130a43ae7d1e161da0c3cbdb";
const KUEUE_CHART_0_19_2 = '    "sha256:ab436c33ef6c6b9b9e95b633e618bca0e0e436d6581d3b27bd12fc8a8026ab34": ["0.19.2"]\n';
/** a distinct, valid digest for each number */
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const image = (name: string, d: string, tags: string[]) => `- name: ${name}\n  dmap:\n    "${d}": [${tags.map((t) => `"${t}"`).join(", ")}]\n`;

/** the example stack's production roots the kind manifest covers: all of them */
const KIND_REGIONS = policyOf(exampleConfig(), STACK).productionRegistries;

describe("npm run check-change --base: the promotion review", () => {
  const repo = tempDir("promotion-review-");
  const catalog = path.join(repo, "projects");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8", stdio: "pipe" });
  /** a branch off main with `edits` (as copyBundled takes them) committed */
  const branch = (name: string, edits: Parameters<typeof copyBundled>[0]) => {
    git("checkout", "-q", "-b", name, "main");
    fs.rmSync(catalog, { recursive: true });
    copyBundled(edits, catalog);
    git("add", "-A");
    git("commit", "-q", "-m", name);
  };
  const checkChange = (name: string, ...args: string[]) => {
    git("checkout", "-q", name);
    const r = runCli("check-change.ts", ["--base", "main", "--catalog", catalog, ...args], repo);
    // the bundled catalog's notes (a skipped project) are not the review's
    return { ...r, err: r.err.filter((l) => !l.includes(": note: ")) };
  };
  const markdownOf = (name: string) => {
    const md = path.join(tempDir("promotion-md-"), "promotions.md");
    const r = checkChange(name, "--markdown", md);
    return { ...r, md: fs.readFileSync(md, "utf8") };
  };
  const hundred = Array.from({ length: 100 }, (_, i) => image(`kind-release-${String(i).padStart(3, "0")}`, digest(i + 1), ["v1.31.0"])).join("");

  beforeAll(() => {
    git("init", "-q", "-b", "main");
    copyBundled({}, catalog);
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    branch("moved", { [KIND]: (t) => replaceOnce(t, KIND_DIGEST, DIGEST_B) });
    branch("removed", { [KUEUE]: (t) => replaceOnce(t, KUEUE_CHART_0_19_2, "") });
    branch("image-gone", { [KIND]: (t) => t.split("\n")[0] + "\n" });
    branch("one-new", { [KIND]: (t) => t + image("kind-extra", DIGEST_A, ["v9.9.9"]) });
    branch("hundred", { [KIND]: (t) => t + hundred, [RELENG]: (t) => t + image("releng-tool", DIGEST_A, ["v1.0.0"]) + `- name: releng-bare\n  dmap:\n    "${DIGEST_B}": []\n` });
  });

  it("a tag moved to another digest: an error at the head's line of the tag, exit 1", () => {
    const r = checkChange("moved");
    const line = fs.readFileSync(path.join(catalog, KIND), "utf8").split("\n")[3]!;
    const col = line.indexOf('"v0.4.0"') + 1;
    expect(r.status).toBe(1);
    expect(r.err).toContain(
      `${KIND}:4:${col}: error: tag cloud-provider-kind:v0.4.0 moved from ${KIND_DIGEST} to ${DIGEST_B}; production cannot move a tag: promote the new digest under a new tag`,
    );
    // the old digest is gone from the file too: a warning beside the error
    expect(r.err).toContain(
      `${KIND}:2:9: warning: digest ${KIND_DIGEST} of image cloud-provider-kind (tag v0.4.0) is no longer listed; removing it from images.yaml does not remove it from production`,
    );
    expect(r.out).toEqual(["1 catalog file changed; 0 rule violations; promotion review: 1 error, 1 warning; catalog valid"]);
  });

  it("a digest removed: a warning at the image's line, exit 0", () => {
    const r = checkChange("removed");
    expect(r.status).toBe(0);
    expect(r.err).toEqual([
      `${KUEUE}:2:9: warning: digest sha256:ab436c33ef6c6b9b9e95b633e618bca0e0e436d6581d3b27bd12fc8a8026ab34 of image charts/kueue (tag 0.19.2) is no longer listed; removing it from images.yaml does not remove it from production`,
    ]);
    expect(r.out).toEqual(["1 catalog file changed; 0 rule violations; promotion review: 0 errors, 1 warning; catalog valid"]);
  });

  it("an image gone from the file: its digests are warnings at line 1, exit 0", () => {
    const r = checkChange("image-gone");
    expect(r.status).toBe(0);
    expect(r.err).toEqual([expect.stringMatching(new RegExp(`^${KIND}:1:1: warning: digest ${KIND_DIGEST} of image cloud-provider-kind `))]);
  });

  it("one new image: no problem, exit 0, and the Promotions section exactly", () => {
    const { status, err, out, md } = markdownOf("one-new");
    expect(status).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual(["1 catalog file changed; 0 rule violations; catalog valid"]);
    expect(KIND_REGIONS).toHaveLength(22);
    expect(md).toBe(
      [
        "### Promotions",
        "",
        "1 new promotion in 1 subproject; production keeps every one: a promoted tag is never moved or removed.",
        "",
        "**`k8s-staging-kind`**: 1 promotion of 1 image, tag `v9.9.9` -> 22 production regions",
        "",
        "- `kind-extra:v9.9.9` (`sha256:aaaaaaaaaaaa…`) -> 22 production regions",
        "",
        "",
      ].join("\n"),
    );
  });

  it("a hundred new images: grouped by subproject, the large group collapsed, the section bounded", () => {
    const { status, md } = markdownOf("hundred");
    expect(status).toBe(0);
    const lines = md.split("\n");
    expect(lines[2]).toBe("102 new promotions in 2 subprojects; production keeps every one: a promoted tag is never moved or removed.");
    // one summary line per subproject, in order
    expect(lines.filter((l) => l.startsWith("**"))).toEqual([
      "**`k8s-staging-kind`**: 100 promotions of 100 images, tag `v1.31.0` -> 22 production regions",
      "**`k8s-staging-releng`**: 2 promotions of 2 images, tag `v1.0.0` -> 22 production regions",
    ]);
    // kind's hundred are inside one <details>; releng's two are not
    const open = lines.indexOf("<details><summary>100 promotions</summary>");
    const close = lines.indexOf("</details>");
    expect(open).toBeGreaterThan(0);
    expect(lines.slice(open, close).filter((l) => l.startsWith("- `kind-release-"))).toHaveLength(100);
    expect(lines.filter((l) => l.startsWith("<details>"))).toHaveLength(1);
    expect(lines.slice(close)).toContain("- `releng-tool:v1.0.0` (`sha256:aaaaaaaaaaaa…`) -> 22 production regions");
    expect(lines.slice(close)).toContain("- `releng-bare` (`sha256:bbbbbbbbbbbb…`, by digest, no tag) -> 22 production regions");
    expect(md.length).toBeLessThan(PROMOTIONS_BUDGET);
  });

  it("--markdown without --base: a usage error", () => {
    const r = runCli("check-change.ts", ["--files", `M:${path.join(catalog, KIND)}`, "--catalog", catalog, "--markdown", path.join(repo, "x.md")], repo);
    expect(r.status).toBe(2);
    expect(r.err[0]).toBe("error: --markdown needs --base REF: the promotions are what the head adds to the base");
  });
});

describe("npm run check-change --base on the upstream layout (the k8s.io sample, prod stack)", () => {
  it("a moved tag and a new one in registry.k8s.io/images/<dir>/images.yaml: the error at its line, the promotion in the section", () => {
    const repo = copySample();
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8", stdio: "pipe" });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    const file = `${K8SIO.images}/k8s-staging-boskos/images.yaml`;
    const text = fs.readFileSync(path.join(repo, file), "utf8");
    const [, old, tag] = /"(sha256:[0-9a-f]{64})": \["([^"]+)"/.exec(text)!;
    fs.writeFileSync(path.join(repo, file), replaceOnce(text, old!, DIGEST_B) + image("boskos-extra", DIGEST_A, ["v1.0.0"]));
    git("checkout", "-q", "-b", "change");
    git("commit", "-q", "-am", "move and promote");
    const md = path.join(tempDir("promotion-md-"), "promotions.md");
    const r = runCli("check-change.ts", ["--base", "main", "--catalog", repo, "--stack", "prod", "--markdown", md], repo);
    expect(r.status).toBe(1);
    const line = text.split("\n").findIndex((l) => l.includes(old!)) + 1;
    const col = text.split("\n")[line - 1]!.indexOf(`"${tag}"`) + 1;
    expect(r.err).toContain(`${file}:${line}:${col}: error: tag boskos:${tag} moved from ${old} to ${DIGEST_B}; production cannot move a tag: promote the new digest under a new tag`);
    // the prod stack has 22 roots; the sample's boskos manifest lists us-west1 twice and lacks us-west2: it covers 21
    expect(policyOf(readStackConfigFile(REPO_ROOT, "prod"), "prod").productionRegistries).toHaveLength(22);
    expect(fs.readFileSync(md, "utf8")).toContain("- `boskos-extra:v1.0.0` (`sha256:aaaaaaaaaaaa…`) -> 21 production regions");
  }, 60_000);
});

describe("reviewPromotions and renderPromotions", () => {
  const file = "registry.k8s.io/images/k8s-staging-demo/images.yaml";
  const review = (base: string | undefined, head: string | undefined) => reviewPromotions([{ dir: "k8s-staging-demo", file, base, head }]);

  it("a new file: every digest+tag is a promotion; a deleted file: every digest a warning at line 1", () => {
    const added = review(undefined, image("demo", DIGEST_A, ["v1", "latest-1"]));
    expect(added.promotions).toEqual([
      { dir: "k8s-staging-demo", image: "demo", digest: DIGEST_A, tag: "v1" },
      { dir: "k8s-staging-demo", image: "demo", digest: DIGEST_A, tag: "latest-1" },
    ]);
    const deleted = review(image("demo", DIGEST_A, ["v1"]), undefined);
    expect(deleted.problems.sorted().map((p) => [p.line, p.col, p.severity])).toEqual([[1, 1, "warning"]]);
  });

  it("a tag added to a promoted digest is a promotion; an unchanged file, a reordered one, or one repeated image entry are not", () => {
    const base = image("demo", DIGEST_A, ["v1"]);
    expect(review(base, image("demo", DIGEST_A, ["v1", "v1.0"])).promotions).toEqual([{ dir: "k8s-staging-demo", image: "demo", digest: DIGEST_A, tag: "v1.0" }]);
    expect(review(base, base)).toMatchObject({ promotions: [] });
    expect(review(base + image("demo", DIGEST_B, ["v2"]), image("demo", DIGEST_B, ["v2"]) + base).promotions).toEqual([]);
    expect(review(base + image("demo", DIGEST_B, ["v2"]), `- name: demo\n  dmap:\n    "${DIGEST_B}": ["v2"]\n    "${DIGEST_A}": ["v1"]\n`).problems.sorted()).toEqual([]);
  });

  it("a tag moved between two entries of one image is found; a file that does not read as a list is left to validation", () => {
    const r = review(image("demo", DIGEST_A, ["v1"]), image("demo", DIGEST_A, []) + image("demo", DIGEST_B, ["v1"]));
    expect(r.problems.sorted().map((p) => `${p.line}:${p.severity}`)).toEqual(["6:error"]);
    expect(r.promotions).toEqual([]);
    expect(review(image("demo", DIGEST_A, ["v1"]), "{not: a list}\n").problems.sorted()).toEqual([]);
  });

  it("a release of thousands across many subprojects stays within the budget and says what it left out", () => {
    const promotions: NewPromotion[] = [];
    for (let d = 0; d < 60; d++) for (let i = 0; i < 100; i++) promotions.push({ dir: `k8s-staging-p${String(d).padStart(2, "0")}`, image: `image-${i}`, digest: digest(i), tag: "v1.32.0" });
    const md = renderPromotions(promotions, new Map());
    expect(md.length).toBeLessThanOrEqual(PROMOTIONS_BUDGET);
    expect(md).toContain("6000 new promotions in 60 subprojects");
    expect(md).toMatch(/^\.\.\. and \d+ promotions in \d+ more subprojects: run `npm run check-change -- --base REF --markdown FILE` locally for the list\.$/m);
    // the first subproject is listed (collapsed) in full, later ones by their summary line only
    expect(md).toContain("<details><summary>100 promotions</summary>");
    expect(md).toContain("(list left out: see its images.yaml)");
    // a subproject without a manifest says so; no promotion, no section
    expect(md).toContain("-> no production regions (no promoter manifest)");
    expect(renderPromotions([], new Map())).toBe("");
    expect(COLLAPSE_ABOVE).toBe(20);
  });

  it("productionRegions: the stack's roots each manifest's destinations cover", () => {
    const result = loadCatalog(path.join(REPO_ROOT, "projects"), policyOf(exampleConfig(), STACK));
    const regions = productionRegions(result.catalog, policyOf(exampleConfig(), STACK));
    expect(regions.get("k8s-staging-kind")).toBe(22);
    expect(productionRegions({ manifests: [{ dir: "x", source: "gcr.io/x", destinations: ["r1/images/x", "r1/images/y", "r2/images/x", "elsewhere/x"] }] }, { productionRegistries: ["r1/images", "r2/images", "r3/images"] })).toEqual(new Map([["x", 2]]));
  });
});

describe("the plan's markdown beside the Promotions: renderMarkdown's limit", () => {
  it("a plan of many projects stays within the limit it is given", () => {
    const resources = Array.from({ length: 3000 }, (_, i) => ({
      urn: `urn:pulumi:example::k8s-infra-staging::gcp:storage/bucket:Bucket::bucket-${i}`,
      type: "gcp:storage/bucket:Bucket",
      name: `bucket-${i}-${"x".repeat(40)}`,
      parent: `urn:pulumi:example::k8s-infra-staging::k8s-infra-staging:StagingProject::k8s-staging-p${i % 300}`,
      protect: false,
      retainOnDelete: false,
      dependsOn: [],
      inputs: {},
    }));
    const diff = diffPlans({ stack: "example", resources: [] }, { stack: "example", resources });
    expect(renderMarkdown(diff, "t").length).toBeGreaterThan(40_000);
    for (const limit of [20_000, 40_000]) expect(renderMarkdown(diff, "t", limit).length).toBeLessThanOrEqual(limit);
  });
});

describe("presubmit: the Promotions section in plan.md", () => {
  it("a change that promotes one image: plan.md has the checks, then the Promotions, then the plan", () => {
    const repo = tempDir("presubmit-promo-");
    const catalog = path.join(repo, "projects");
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8", stdio: "pipe" }).trim();
    git("init", "-q", "-b", "main");
    copyBundled({}, catalog);
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    const base = git("rev-parse", "HEAD");
    fs.appendFileSync(path.join(catalog, KIND), image("kind-extra", DIGEST_A, ["v9.9.9"]));
    git("commit", "-q", "-am", "promote kind-extra");
    const head = git("rev-parse", "HEAD");
    const out = tempDir("presubmit-promo-out-");
    const r = spawnSync("bash", [path.join(REPO_ROOT, "jobs", "presubmit.sh"), "--catalog", catalog, "--base", base, "--head", head, "--stack", "example", "--out", out], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const md = fs.readFileSync(path.join(out, "plan.md"), "utf8");
    const checks = md.indexOf("### Catalog checks");
    const promotions = md.indexOf("### Promotions");
    const plan = md.indexOf("### Staging estate");
    expect(checks).toBe(0);
    expect(promotions).toBeGreaterThan(checks);
    expect(plan).toBeGreaterThan(promotions);
    expect(md).toContain("- `kind-extra:v9.9.9` (`sha256:aaaaaaaaaaaa…`) -> 22 production regions");
  }, 60_000);
});
