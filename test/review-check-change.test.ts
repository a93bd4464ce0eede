/** `npm run check-change`: the change rules (checkChangeRules) and the command in a git repository. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { checkChangeRules, type TouchedFile } from "../src/review/change-rules";
import { runCli } from "./fixtures/review/support";
import { DIGEST_A, DIGEST_B, EXAMPLE_POLICY, REPO_ROOT, baseCatalog, outcomeOf, tempDir, writeTree } from "./helpers";

const MANIFEST = "manifests/k8s-staging-demo/promoter-manifest.yaml";
const IMAGES = "images/k8s-staging-demo/images.yaml";
const SPLIT_RULE =
  "a change that modifies an existing promoter manifest must not also touch its images.yaml; split it into two pull requests";
const NEW_PROJECT_RULE =
  "a new project's manifest may arrive with its images.yaml only while that images.yaml declares no images yet; promote images in a later pull request";
const OWNERS_RULE = "no OWNERS file may be added under manifests/: manifests are not delegated";

const A = (p: string): TouchedFile => ({ status: "A", path: p });
const M = (p: string): TouchedFile => ({ status: "M", path: p });
const D = (p: string): TouchedFile => ({ status: "D", path: p });

/** A catalog folder whose demo images.yaml has `imagesYaml` as its text. */
const catalogWith = (imagesYaml: string) => writeTree({ ...baseCatalog(), [IMAGES]: imagesYaml });
const withImages = writeTree(baseCatalog());

describe("checkChangeRules", () => {
  it("a modified manifest and its touched images.yaml (same dir): one violation naming both files", () => {
    expect(checkChangeRules([M(MANIFEST), M(IMAGES)], withImages)).toEqual([{ files: [MANIFEST, IMAGES], rule: SPLIT_RULE }]);
    // deleting or adding the images.yaml is touching it too
    expect(checkChangeRules([M(MANIFEST), D(IMAGES)], withImages)).toEqual([{ files: [MANIFEST, IMAGES], rule: SPLIT_RULE }]);
    expect(checkChangeRules([M(IMAGES), M(MANIFEST)], withImages)).toEqual([{ files: [MANIFEST, IMAGES], rule: SPLIT_RULE }]);
  });

  it("a modified manifest alone, or a modified images.yaml alone, is fine", () => {
    expect(checkChangeRules([M(MANIFEST)], withImages)).toEqual([]);
    expect(checkChangeRules([M(IMAGES)], withImages)).toEqual([]);
    expect(checkChangeRules([M(IMAGES), M("images/k8s-staging-demo/OWNERS"), M("infra.yaml")], withImages)).toEqual([]);
  });

  it("a manifest and an images.yaml of different dirs are fine together", () => {
    expect(checkChangeRules([M(MANIFEST), M("images/k8s-staging-other/images.yaml")], withImages)).toEqual([]);
    expect(checkChangeRules([M("manifests/k8s-staging-other/promoter-manifest.yaml"), M(IMAGES)], withImages)).toEqual([]);
  });

  it("a new project may bring its manifest with an images.yaml that declares no images (empty, comments, [])", () => {
    for (const text of ["", "# images of demo will be listed here\n", "[]\n"]) {
      expect(checkChangeRules([A(MANIFEST), A(IMAGES)], catalogWith(text)), JSON.stringify(text)).toEqual([]);
    }
  });

  it("a new project's manifest with an images.yaml that declares images: a violation naming both files", () => {
    expect(checkChangeRules([A(MANIFEST), A(IMAGES)], withImages)).toEqual([{ files: [MANIFEST, IMAGES], rule: NEW_PROJECT_RULE }]);
    // an images.yaml that cannot be read or parsed counts as declaring images
    expect(checkChangeRules([A(MANIFEST), A(IMAGES)], catalogWith("- name: [unclosed\n"))).toHaveLength(1);
    expect(checkChangeRules([A(MANIFEST), A("images/k8s-staging-demo/images.yaml")], writeTree({}))).toHaveLength(1);
  });

  it("a new manifest with a change to an existing images.yaml: a violation", () => {
    expect(checkChangeRules([A(MANIFEST), M(IMAGES)], catalogWith(""))).toEqual([
      { files: [MANIFEST, IMAGES], rule: "a new promoter manifest must not arrive with a change to an existing images.yaml" },
    ]);
  });

  it("an OWNERS file added under manifests/: a violation naming it; modified, or under images/, is fine", () => {
    const owners = "manifests/k8s-staging-demo/OWNERS";
    expect(checkChangeRules([A(owners)], withImages)).toEqual([{ files: [owners], rule: OWNERS_RULE }]);
    expect(checkChangeRules([A("manifests/OWNERS")], withImages)).toEqual([{ files: ["manifests/OWNERS"], rule: OWNERS_RULE }]);
    expect(checkChangeRules([M(owners)], withImages)).toEqual([]);
    expect(checkChangeRules([A("images/k8s-staging-demo/OWNERS")], withImages)).toEqual([]);
  });

  it("reports every violation of a change", () => {
    const v = checkChangeRules([M(MANIFEST), M(IMAGES), A("manifests/k8s-staging-demo/OWNERS")], withImages);
    expect(v.map((x) => x.rule)).toEqual([SPLIT_RULE, OWNERS_RULE]);
  });

  it("a removed project (its manifest and images.yaml deleted together) is fine", () => {
    expect(checkChangeRules([D(MANIFEST), D(IMAGES)], withImages)).toEqual([]);
  });
});

describe("npm run check-change (the command, in a git repository)", () => {
  const repo = tempDir("review-git-");
  const catalog = path.join(repo, "projects");
  const kindManifest = "projects/manifests/k8s-staging-kind/promoter-manifest.yaml";
  const kindImages = "projects/images/k8s-staging-kind/images.yaml";
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8", stdio: "pipe" });
  const append = (rel: string, text: string) => fs.appendFileSync(path.join(repo, rel), text);
  const newImage = (digest: string) => `- name: kind-extra\n  dmap:\n    "${digest}": ["v9.9.9"]\n`;
  const checkChange = (...args: string[]) => runCli("check-change.ts", args, repo);
  let brokenErrors: string[] = [];

  beforeAll(() => {
    git("init", "-q", "-b", "main");
    fs.cpSync(path.join(REPO_ROOT, "projects"), catalog, { recursive: true });
    fs.writeFileSync(path.join(repo, "README.md"), "not part of the catalog\n");
    git("add", "-A");
    git("commit", "-q", "-m", "base");

    // a manifest change and an images change in one branch
    git("checkout", "-q", "-b", "both", "main");
    append(kindManifest, "# a comment an admin added\n");
    append(kindImages, newImage(DIGEST_A));
    git("commit", "-q", "-am", "manifest and images together");

    // only images.yaml (and a file outside the catalog)
    git("checkout", "-q", "-b", "clean", "main");
    append(kindImages, newImage(DIGEST_B));
    append("README.md", "more\n");
    git("commit", "-q", "-am", "images only");

    // only images.yaml, with a digest that is not one
    git("checkout", "-q", "-b", "broken", "main");
    append(kindImages, newImage("sha256:abc"));
    git("commit", "-q", "-am", "bad digest");
    // the copy of the bundled catalog is validated as check-change does by default: with the example stack
    brokenErrors = outcomeOf(loadCatalog(catalog, EXAMPLE_POLICY)).errors;
  });

  it("a branch that modifies a manifest and its images.yaml: exit 1, both files and the rule on stderr", () => {
    git("checkout", "-q", "both");
    const r = checkChange("--base", "main", "--catalog", catalog);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`error: manifests/k8s-staging-kind/promoter-manifest.yaml, images/k8s-staging-kind/images.yaml: ${SPLIT_RULE}`);
    expect(r.err.filter((l) => / error: |^error: /.test(l))).toHaveLength(1);
    expect(r.out).toEqual(["2 catalog files changed; 1 rule violation; catalog valid"]);
  });

  it("a branch that only changes images.yaml: exit 0; files outside the catalog are not counted", () => {
    git("checkout", "-q", "clean");
    const r = checkChange("--base", "main", "--catalog", catalog);
    expect(r.status).toBe(0);
    expect(r.err.filter((l) => l.includes("error"))).toEqual([]);
    expect(r.out).toEqual(["1 catalog file changed; 0 rule violations; catalog valid"]);
  });

  it("a branch that breaks validation (a bad digest): exit 1 with the FILE:LINE:COL error", () => {
    expect(brokenErrors).toHaveLength(1);
    expect(brokenErrors[0]).toMatch(/^images\/k8s-staging-kind\/images\.yaml:7:\d+: error: /);
    git("checkout", "-q", "broken");
    const r = checkChange("--base", "main", "--catalog", catalog);
    expect(r.status).toBe(1);
    expect(r.err).toContain(brokenErrors[0]);
    expect(r.err).toContain("error: the catalog at HEAD does not validate (1 error, 0 warnings)");
    expect(r.out).toEqual(["1 catalog file changed; 0 rule violations; catalog invalid"]);
  });

  it("--files with A:/M: prefixes, relative to the current folder: every violation, exit 1", () => {
    git("checkout", "-q", "main");
    const r = checkChange(
      "--catalog",
      catalog,
      "--files",
      `M:${kindManifest}`,
      `M:${kindImages}`,
      "A:projects/manifests/k8s-staging-kind/OWNERS",
      "M:README.md",
    );
    expect(r.status).toBe(1);
    expect(r.err).toContain(`error: manifests/k8s-staging-kind/promoter-manifest.yaml, images/k8s-staging-kind/images.yaml: ${SPLIT_RULE}`);
    expect(r.err).toContain(`error: manifests/k8s-staging-kind/OWNERS: ${OWNERS_RULE}`);
    expect(r.out).toEqual(["3 catalog files changed; 2 rule violations; catalog valid"]);
  });

  it("neither --base nor --files: exit 2 with the usage", () => {
    const r = checkChange("--catalog", catalog);
    expect(r.status).toBe(2);
    expect(r.err).toEqual([
      "error: give exactly one of --base REF or --files PATH...",
      "usage: npm run check-change -- (--base REF [--markdown FILE] | --files [A:|M:|D:]PATH...) [--catalog DIR] [--stack NAME]",
    ]);
    expect(r.out).toEqual([]);
  });

  // KNOWN BUG (src/cli/check-change.ts, touchedFiles): with --base, git reports paths under the
  // real top-level folder, but they are made relative to the --catalog path as given; through a
  // symlink (macOS's /tmp -> /private/tmp, a symlinked checkout) every file lands outside the
  // catalog and is dropped, so the check passes silently. Drop `.fails` once fixed.
  it("--base through a symlinked path still sees the change", () => {
    git("checkout", "-q", "both");
    const link = path.join(tempDir("review-link-"), "repo");
    fs.symlinkSync(repo, link);
    const r = checkChange("--base", "main", "--catalog", path.join(link, "projects"));
    expect(r.out).toEqual(["2 catalog files changed; 1 rule violation; catalog valid"]);
    expect(r.status).toBe(1);
  });
});
