import { describe, expect, it } from "vitest";
import { checkPromotionTree } from "../src/catalog/catalog";
import type { CatalogPolicy } from "../src/catalog/model";
import { formatProblem } from "../src/catalog/problems";
import { DIGEST_A, DIGEST_B, manifest, writeTree } from "./helpers";

const R1 = "r1-docker.pkg.dev/prod-project/images";
const R2 = "r2-docker.pkg.dev/prod-project/images";
const policy: CatalogPolicy = {
  organizationId: "758905017065",
  exampleEstate: false,
  domain: "example.com",
  stagingRegion: "us-central1",
  promoterServiceAccount: "promoter@prod-project.iam.gserviceaccount.com",
  productionRegistries: [R1, R2],
  repositoryRetentionDays: 90,
};
const images = (digest: string) => `- name: tool\n  dmap:\n    "${digest}": ["v1"]\n`;

describe("cross-manifest overlap when manifests cover different roots", () => {
  it("a clash between the second and third manifest is reported even though the first does not share their root", () => {
    const root = writeTree({
      "images/a/images.yaml": images(DIGEST_A),
      "manifests/a/promoter-manifest.yaml": manifest("gcr.io/staging-a", [`${R1}/x`], policy.promoterServiceAccount),
      "images/b/images.yaml": images(DIGEST_A),
      "manifests/b/promoter-manifest.yaml": manifest("gcr.io/staging-b", [`${R2}/x`], policy.promoterServiceAccount),
      "images/c/images.yaml": images(DIGEST_B),
      "manifests/c/promoter-manifest.yaml": manifest("gcr.io/staging-c", [`${R2}/x`], policy.promoterServiceAccount),
    });
    const errors = checkPromotionTree(root, policy)
      .filter((p) => p.severity === "error" && p.message.includes("one tag can name only one digest"))
      .map(formatProblem);
    expect(errors).toEqual([
      `images/c/images.yaml:3:81: error: ${R2}/x/tool:v1 is promoted as ${DIGEST_B} here but as ${DIGEST_A} by images/b/images.yaml:3; one tag can name only one digest`,
    ]);
  });
});
