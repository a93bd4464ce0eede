/** Spec 4.3: the promoter reads every staging repository and writes each production root's `images`. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT } from "../src/estate/declaration";
import type { Estate } from "../src/estate/estate";
import { build, bundledCatalog, componentUrn, childUrn, ofType, exampleConfig, T, where, removeTempDirs } from "./fixtures/estate/support";

afterAll(removeTempDirs);

const P = "serviceAccount:k8s-infra-gcr-promoter@example-artifacts-prod.iam.gserviceaccount.com";
const PROMOTER_URN = componentUrn(COMPONENT.promoter, "image-promoter");

/** The 22 production regions of Pulumi.example.yaml (the same as Pulumi.prod.yaml), spelled out. */
const REGIONS = [
  "asia-east1",
  "asia-south1",
  "asia-northeast1",
  "asia-northeast2",
  "australia-southeast1",
  "europe-north1",
  "europe-southwest1",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west4",
  "europe-west8",
  "europe-west9",
  "europe-west10",
  "southamerica-west1",
  "us-central1",
  "us-east1",
  "us-east4",
  "us-east5",
  "us-south1",
  "us-west1",
  "us-west2",
];

let estate: Estate;
beforeAll(() => {
  estate = build(bundledCatalog());
});

describe("4.3 promoter reads every staging repository", () => {
  it("the bundled estate declares 14 staging repositories (5 dedicated x 2, 4 shared)", () => {
    const repos = ofType(estate, T.repository).map((r) => `${String(r.inputs.project)}/${String(r.inputs.repositoryId)}`);
    expect(repos.sort()).toEqual(
      [
        "k8s-staging-boskos/gcr.io",
        "k8s-staging-boskos/images",
        "k8s-staging-cluster-api-gcp/gcr.io",
        "k8s-staging-cluster-api-gcp/images",
        "k8s-staging-images/charts",
        "k8s-staging-images/cluster-inventory-api",
        "k8s-staging-images/kro",
        "k8s-staging-images/node-readiness-controller",
        "k8s-staging-kind/gcr.io",
        "k8s-staging-kind/images",
        "k8s-staging-kueue/gcr.io",
        "k8s-staging-kueue/images",
        "k8s-staging-releng/gcr.io",
        "k8s-staging-releng/images",
      ].sort(),
    );
  });

  it("P is artifactregistry.reader on each of them, at its location, after the repository", () => {
    const repos = ofType(estate, T.repository);
    for (const r of repos) {
      const match = { project: r.inputs.project, location: r.inputs.location, repository: r.inputs.repositoryId, member: P };
      const g = where(estate, T.repositoryIam, match);
      expect(g.map((x) => x.inputs.role), r.name).toEqual(["roles/artifactregistry.reader"]);
      expect(g[0]!.dependsOn).toEqual([r.urn]);
      expect(g[0]!.parent).toBe(r.parent);
    }
    const readerGrants = where(estate, T.repositoryIam, { member: P, role: "roles/artifactregistry.reader" });
    expect(readerGrants).toHaveLength(repos.length);
  });

  it("P never writes a staging repository", () => {
    const stagingWrites = where(estate, T.repositoryIam, { member: P, role: "roles/artifactregistry.writer" }).filter(
      (g) => g.inputs.project !== "example-artifacts-prod",
    );
    expect(stagingWrites).toEqual([]);
  });
});

describe("4.3 promoter writes the images repository of every production root", () => {
  it("exactly 22 RepositoryIamMember grants under the PromoterAccess component", () => {
    const component = estate.declarations.find((d) => d.urn === PROMOTER_URN);
    expect(component?.type).toBe("k8s-infra:staging:PromoterAccess");
    expect(component?.parent).toBeNull();
    const children = estate.declarations.filter((d) => d.parent === PROMOTER_URN);
    expect(children).toHaveLength(22);
    for (const c of children) expect(c.type).toBe("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
  });

  it("each: project example-artifacts-prod, location = the region, repository images, writer, P; one per region", () => {
    const children = ofType(estate, T.repositoryIam).filter((d) => d.parent === PROMOTER_URN);
    for (const c of children) {
      expect(c.inputs).toEqual({
        project: "example-artifacts-prod",
        location: c.inputs.location,
        repository: "images",
        role: "roles/artifactregistry.writer",
        member: P,
      });
      const root = `${String(c.inputs.location)}-docker.pkg.dev/example-artifacts-prod/images`;
      expect(c.urn).toBe(childUrn(COMPONENT.promoter, T.repositoryIam, `${root}/roles/artifactregistry.writer/${P}`));
    }
    expect(children.map((c) => c.inputs.location).sort()).toEqual([...REGIONS].sort());
  });

  it("all production writes of the estate are these 22", () => {
    expect(where(estate, T.repositoryIam, { project: "example-artifacts-prod" })).toHaveLength(22);
  });

  it("the summary lists the 22 grants", () => {
    expect(estate.promoterGrants).toHaveLength(22);
    expect(estate.promoterGrants.map((g) => g.location).sort()).toEqual([...REGIONS].sort());
    for (const g of estate.promoterGrants) {
      expect(g).toEqual({
        registry: `${g.location}-docker.pkg.dev/example-artifacts-prod/images`,
        project: "example-artifacts-prod",
        location: g.location,
        repository: "images",
        role: "roles/artifactregistry.writer",
        member: P,
      });
    }
  });

  it("one grant per root, not per subproject: the count follows the configured roots only", () => {
    const config = {
      ...exampleConfig(),
      productionRegistries: ["us-west1-docker.pkg.dev/example-artifacts-prod/images", "europe-west1-docker.pkg.dev/other-prod/images"],
    };
    const small = build(bundledCatalog(), config);
    const writes = ofType(small, T.repositoryIam).filter((d) => d.parent === PROMOTER_URN);
    expect(writes.map((w) => `${String(w.inputs.location)} ${String(w.inputs.project)} ${String(w.inputs.repository)}`).sort()).toEqual([
      "europe-west1 other-prod images",
      "us-west1 example-artifacts-prod images",
    ]);
    // more staging projects do not add production grants
    const catalog = bundledCatalog();
    catalog.projects.push({
      kind: "dedicated",
      id: "k8s-staging-zz-extra",
      name: "zz-extra",
      services: [],
      release: false,
      iam: [],
      cleanup: { olderThanDays: 90, dryRun: false },
      writers: "k8s-infra-staging-zz-extra@example.com",
      gcrIam: [],
      builderAccounts: [],
      buckets: [],
    });
    const bigger = build(catalog);
    expect(ofType(bigger, T.repositoryIam).filter((d) => d.parent === PROMOTER_URN)).toHaveLength(22);
    expect(where(bigger, T.repositoryIam, { member: P, role: "roles/artifactregistry.reader" })).toHaveLength(16);
  });
});
