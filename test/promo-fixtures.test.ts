import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkPromotionTree } from "../src/catalog/catalog";
import type { CatalogPolicy } from "../src/catalog/model";
import { formatProblem } from "../src/catalog/problems";
import { PROD_POLICY, SHARED, tempDir } from "./helpers";

/** The image promoter's own fixtures (kubernetes-sigs/promo-tools); see its README.md. */
const FIXTURES = path.join(SHARED, "promo-fixtures");
const VALIDATE = "internal/legacy/dockerregistry/inventory_test/TestValidateThinManifestsFromDir";
const PARSE = "internal/legacy/dockerregistry/inventory_test/TestParseThinManifestsFromDir";

function policy(productionRegistries: string[], promoterServiceAccount: string): CatalogPolicy {
  return {
    organizationId: "758905017065",
    exampleEstate: false,
    domain: "kubernetes.io",
    stagingRegion: "us-central1",
    promoterServiceAccount,
    productionRegistries,
    repositoryRetentionDays: 90,
  };
}

/** The fixtures' own registries: each destination path is covered exactly once by these roots. */
const SOME_PROD = policy(["us.gcr.io/some-prod", "eu.gcr.io/some-prod", "asia.gcr.io/some-prod"], "sa@robot.com");
const CIP_E2E = policy(
  ["us.gcr.io/k8s-cip-test-prod/e2e", "eu.gcr.io/k8s-cip-test-prod/e2e", "asia.gcr.io/k8s-cip-test-prod/e2e"],
  "k8s-infra-gcr-promoter@k8s-cip-test-prod.iam.gserviceaccount.com",
);
const AUDIT = policy(["us.gcr.io/k8s-gcr-audit-test-prod"], "k8s-infra-gcr-promoter@k8s-gcr-audit-test-prod.iam.gserviceaccount.com");
const CANARY = policy(["us.gcr.io/k8s-cip-test-prod/canary"], "k8s-infra-gcr-promoter@k8s-cip-test-prod.iam.gserviceaccount.com");

/** Every tree of the fixtures, with the policy made from its own registries. */
const VALID_TREES: [tree: string, policy: CatalogPolicy][] = [
  [`${VALIDATE}/valid/singleton`, SOME_PROD],
  [`${VALIDATE}/valid/multiple-rebases`, SOME_PROD],
  [`${VALIDATE}/valid/overlapping-destination-vertices-same-digest`, SOME_PROD],
  [`${VALIDATE}/valid/overlapping-src-registries`, SOME_PROD],
  [`${VALIDATE}/valid/malformed-directory-tree-structure-bad-prefix-is-ignored`, SOME_PROD],
  [`${PARSE}/singleton`, SOME_PROD],
  [`${PARSE}/multiple-rebases`, SOME_PROD],
  [`${PARSE}/basic-thin`, SOME_PROD],
  ["image/manifest/testdata/singleton", SOME_PROD],
  ["test-e2e/cip/fixture/sanity", CIP_E2E],
  ["test-e2e/cip/fixture/recursive-thin", CIP_E2E],
  ["test-e2e/cip-auditor/fixture/basic", AUDIT],
  ["test-e2e/cip-auditor/fixture/fatManifest", AUDIT],
  ["test-e2e/cip-auditor/fixture/fatManifest-subproject-different-prefix", AUDIT],
  ["canary", CANARY],
];
const INVALID_TREES: [tree: string, policy: CatalogPolicy][] = [
  [`${VALIDATE}/invalid/malformed-directory-tree-structure`, SOME_PROD],
  [`${VALIDATE}/invalid/malformed-directory-tree-structure-nested`, SOME_PROD],
  [`${VALIDATE}/invalid/overlapping-destination-vertices-different-digest`, SOME_PROD],
];

const problemsOf = (tree: string, p: CatalogPolicy) => checkPromotionTree(path.join(FIXTURES, tree), p).map(formatProblem);
const errorsOf = (tree: string, p: CatalogPolicy) =>
  checkPromotionTree(path.join(FIXTURES, tree), p)
    .filter((x) => x.severity === "error")
    .map(formatProblem);

/** Folders holding images/, manifests/ or a plain promoter-manifest.yaml, not nested in another such folder. */
function treesOnDisk(dir = FIXTURES, rel = ""): string[] {
  const names = fs.readdirSync(dir);
  if (names.includes("images") || names.includes("manifests") || names.includes("promoter-manifest.yaml")) return [rel];
  return names
    .filter((n) => fs.statSync(path.join(dir, n)).isDirectory())
    .sort()
    .flatMap((n) => treesOnDisk(path.join(dir, n), rel ? `${rel}/${n}` : n));
}

describe("the promoter's fixture trees", () => {
  it("the tables cover every tree in the fixtures", () => {
    const listed = [...VALID_TREES, ...INVALID_TREES].map(([t]) => t).sort();
    expect(treesOnDisk().sort()).toEqual(listed);
  });

  it.each(VALID_TREES)("%s is valid", (tree, p) => {
    expect(errorsOf(tree, p)).toEqual([]);
  });

  it("the valid trees have no warnings either, except canary's destinations without service-account", () => {
    for (const [tree, p] of VALID_TREES.filter(([t]) => t !== "canary")) expect({ tree, problems: problemsOf(tree, p) }).toEqual({ tree, problems: [] });
    const sa = CANARY.promoterServiceAccount;
    expect(problemsOf("canary", CANARY)).toEqual([
      `manifests/k8s-staging-bom/promoter-manifest.yaml:4:11: warning: destination us.gcr.io/k8s-cip-test-prod/canary/bom names no service-account; the promoter account ${sa} is expected`,
      `manifests/k8s-staging-bom/promoter-manifest.yaml:5:11: warning: destination us.gcr.io/k8s-cip-test-prod/canary/bom-mirror names no service-account; the promoter account ${sa} is expected`,
      `manifests/sigstore/promoter-manifest.yaml:4:11: warning: destination us.gcr.io/k8s-cip-test-prod/canary/sigstore names no service-account; the promoter account ${sa} is expected`,
      `manifests/sigstore/promoter-manifest.yaml:5:11: warning: destination us.gcr.io/k8s-cip-test-prod/canary/sigstore-mirror names no service-account; the promoter account ${sa} is expected`,
    ]);
  });

  it("a valid tree checked against the production roots fails, so the per-tree policy is what makes it pass", () => {
    const errors = errorsOf(`${VALIDATE}/valid/singleton`, PROD_POLICY);
    expect(errors).toContain(
      `manifests/a/promoter-manifest.yaml:5:9: error: destination us.gcr.io/some-prod is not under a production registry root; use <root>/... with a root from the stack configuration (e.g. ${PROD_POLICY.productionRegistries[0]})`,
    );
    expect(errors).toContain(
      `manifests/a/promoter-manifest.yaml:6:20: error: service-account "sa@robot.com" must be the promoter account "${PROD_POLICY.promoterServiceAccount}"`,
    );
  });

  it("an empty folder is invalid: there is no images/ folder", () => {
    expect(checkPromotionTree(tempDir("promo-empty-"), SOME_PROD).map(formatProblem)).toEqual([
      "images:1:1: error: there is no images/ folder and no promoter-manifest.yaml; a promoter tree holds images/<dir>/images.yaml and manifests/<dir>/promoter-manifest.yaml",
    ]);
  });

  it("malformed-directory-tree-structure: manifests/b has no images/b/images.yaml", () => {
    expect(errorsOf(INVALID_TREES[0]![0], SOME_PROD)).toEqual([
      "manifests/b/promoter-manifest.yaml:1:1: error: manifests/b/promoter-manifest.yaml has no images/b/images.yaml; add it (an empty file means no images yet)",
    ]);
  });

  it("malformed-directory-tree-structure-nested: manifests/b/c/promoter-manifest.yaml is one level too deep", () => {
    expect(problemsOf(INVALID_TREES[1]![0], SOME_PROD)).toEqual([
      "manifests/b/c/promoter-manifest.yaml:1:1: error: manifests/b/c/promoter-manifest.yaml is not at manifests/<dir>/promoter-manifest.yaml; move it up to exactly that depth",
      "manifests/images/c/images.yaml:1:1: warning: manifests/images/c/images.yaml is not read; only manifests/<dir>/promoter-manifest.yaml belongs under manifests/",
    ]);
  });

  it("overlapping-destination-vertices-different-digest: the second images.yaml names the first", () => {
    const a = `sha256:${"a".repeat(64)}`;
    const b = `sha256:${"b".repeat(64)}`;
    expect(errorsOf(INVALID_TREES[2]![0], SOME_PROD)).toEqual([
      `images/b/images.yaml:4:81: error: us.gcr.io/some-prod/foo-controller:1.0 is promoted as ${b} here but as ${a} by images/a/images.yaml:3; one tag can name only one digest`,
    ]);
  });
});
