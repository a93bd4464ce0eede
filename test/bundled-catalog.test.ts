import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { EXAMPLE_POLICY, REPO_ROOT, outcomeOf } from "./helpers";

const CATALOG = path.join(REPO_ROOT, "projects");

describe("the bundled catalog (projects/)", () => {
  const r = outcomeOf(loadCatalog(CATALOG, EXAMPLE_POLICY));

  it("validates with no errors and no warnings", () => {
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.result.catalog).toBeDefined();
  });

  it("only notes the project managed elsewhere", () => {
    expect(r.notes).toEqual([expect.stringMatching(/^infra\.yaml:\d+:7: note: k8s-staging-gcb-untrusted is managed by .*; skipped$/)]);
  });

  it("holds every manifest and images.yaml of the folder", () => {
    const dirs = fs.readdirSync(path.join(CATALOG, "manifests")).sort();
    expect(r.result.catalog?.manifests.map((m) => m.dir).sort()).toEqual(dirs);
    expect(r.result.catalog?.imageSets.map((s) => s.dir).sort()).toEqual(fs.readdirSync(path.join(CATALOG, "images")).sort());
    expect(r.result.catalog?.projects.map((p) => p.id)).toEqual([
      "k8s-staging-boskos",
      "k8s-staging-cluster-api-gcp",
      "k8s-staging-images",
      "k8s-staging-kind",
      "k8s-staging-kueue",
      "k8s-staging-releng",
    ]);
  });
});
