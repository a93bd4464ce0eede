/** Spec 4.2: the shared staging project k8s-staging-images of the bundled catalog. */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { policyOf } from "../src/config";
import { COMPONENT } from "../src/estate/declaration";
import type { Estate } from "../src/estate/estate";
import { buildAccountId } from "../src/estate/shared-project";
import {
  build,
  bundledCatalog,
  byUrn,
  componentUrn,
  copyBundled,
  grants,
  groupDependencies,
  groupUrn,
  iamGrants,
  ofType,
  exampleConfig,
  shared,
  SHARED_URN,
  sleepDependencies,
  sleepUrn,
  STACK,
  T,
  where,
  removeTempDirs,
  WRITERS_GROUPS_URN,
} from "./fixtures/estate/support";

afterAll(removeTempDirs);

const ID = "k8s-staging-images";
const A = "group:k8s-infra-artifact-admins@example.com";
const B = "serviceAccount:gcb-builder@example-prow-build-trusted.iam.gserviceaccount.com";
const P = "serviceAccount:k8s-infra-gcr-promoter@example-artifacts-prod.iam.gserviceaccount.com";
/** The CI pool's test-pods namespace (ciPoolProjectNumber and ciWorkloadPool of Pulumi.example.yaml), spelled out. */
const CI_PODS =
  "principalSet://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/example-prow-build-trusted.svc.id.goog/namespace/test-pods";
const COMPONENT_URN = componentUrn(COMPONENT.shared, ID);
const PROJECT_URN = SHARED_URN(T.project, ID);
const serviceUrn = (api: string) => SHARED_URN(T.service, `${ID}/${api}`);

/** The repositories of the bundled catalog and their writers group (cluster-inventory-api and node-readiness-controller override it). */
const REPOS: Record<string, { writers: string; dryRun: boolean }> = {
  charts: { writers: "k8s-infra-staging-charts@example.com", dryRun: false },
  "cluster-inventory-api": { writers: "k8s-infra-staging-cluster-inv-api@example.com", dryRun: false },
  kro: { writers: "k8s-infra-staging-kro@example.com", dryRun: false },
  "node-readiness-controller": { writers: "k8s-infra-staging-node-readiness@example.com", dryRun: true },
};

let estate: Estate;
beforeAll(() => {
  estate = build(bundledCatalog());
});

describe("4.2 project and APIs", () => {
  it("is a SharedStagingProject component holding a protected project as in 4.1", () => {
    expect(byUrn(estate, COMPONENT_URN).type).toBe("k8s-infra:staging:SharedStagingProject");
    const p = byUrn(estate, PROJECT_URN);
    expect(p.parent).toBe(COMPONENT_URN);
    expect(p.protect).toBe(true);
    expect(p.inputs).toMatchObject({
      projectId: ID,
      name: ID,
      orgId: "123456789012",
      billingAccount: "01A2B3-C4D5E6-F7A8B9",
      autoCreateNetwork: true,
      deletionPolicy: "PREVENT",
    });
  });

  it("enables artifactregistry and cloudbuild (plus iam and storage-api, which its accounts and bucket need)", () => {
    const apis = where(estate, T.service, { project: ID }).map((s) => s.inputs.service).sort();
    expect(apis).toContain("artifactregistry.googleapis.com");
    expect(apis).toContain("cloudbuild.googleapis.com");
    expect(apis).toEqual(["artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "iam.googleapis.com", "storage-api.googleapis.com"]);
    for (const s of where(estate, T.service, { project: ID })) {
      expect(s.inputs.disableOnDestroy).toBe(false);
      expect(s.retainOnDelete).toBe(true);
      expect(s.dependsOn).toEqual([PROJECT_URN]);
    }
  });

  it("project IAM is exactly: viewer for A and for each repository's writers group; builds.editor for B", () => {
    const iam = where(estate, T.projectIam, { project: ID });
    expect(grants(iam)).toEqual(
      [`roles/viewer ${A}`, `roles/cloudbuild.builds.editor ${B}`, ...Object.values(REPOS).map((r) => `roles/viewer group:${r.writers}`)].sort(),
    );
    // each writers group's viewer grant also waits for its Group's propagation pause; A and B are not declared here
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      [`roles/viewer ${A}`]: [PROJECT_URN],
      [`roles/cloudbuild.builds.editor ${B}`]: [PROJECT_URN],
      ...Object.fromEntries(Object.values(REPOS).map((r) => [`roles/viewer group:${r.writers}`, [PROJECT_URN, sleepUrn(r.writers)]])),
    });
  });
});

describe("4.2 bucket <id>-gcb", () => {
  const GCB = `${ID}-gcb`;

  it("90 days, no access logs, protected; it is the project's only bucket", () => {
    const b = byUrn(estate, SHARED_URN(T.bucket, GCB));
    expect(b.inputs).toMatchObject({ name: GCB, project: ID, location: "us", uniformBucketLevelAccess: true });
    expect(b.inputs.lifecycleRules).toEqual([{ action: { type: "Delete" }, condition: { age: 90 } }]);
    expect(b.inputs.logging).toBeUndefined();
    expect(b.protect).toBe(true);
    expect(b.dependsOn).toEqual([serviceUrn("storage-api.googleapis.com")]);
    expect(where(estate, T.bucket, { project: ID }).map((x) => x.name)).toEqual([GCB]);
  });

  it("storage.admin: B and the CI pool's test-pods namespace (exactly)", () => {
    expect(grants(where(estate, T.bucketIam, { bucket: GCB }))).toEqual([`roles/storage.admin ${B}`, `roles/storage.admin ${CI_PODS}`].sort());
  });

  it("follows sharedBuildBucketRetentionDays", () => {
    const config = { ...exampleConfig(), sharedBuildBucketRetentionDays: 14 };
    const b = byUrn(build(bundledCatalog(config), config), SHARED_URN(T.bucket, GCB));
    expect(b.inputs.lifecycleRules).toEqual([{ action: { type: "Delete" }, condition: { age: 14 } }]);
  });
});

describe("4.2 per repository", () => {
  it("the project has exactly the catalog's four repositories", () => {
    expect(where(estate, T.repository, { project: ID }).map((r) => r.inputs.repositoryId).sort()).toEqual(Object.keys(REPOS).sort());
  });

  for (const [repo, { writers, dryRun }] of Object.entries(REPOS)) {
    describe(repo, () => {
      const REPO_URN = SHARED_URN(T.repository, `${ID}/${repo}`);
      const account = `${repo}-sa`;
      const ACCOUNT_URN = SHARED_URN(T.account, `${ID}/${account}`);

      it("repository in the staging region, DOCKER, labelled, protected, cleanup older than 90 days", () => {
        const r = byUrn(estate, REPO_URN);
        expect(r.inputs).toMatchObject({ project: ID, repositoryId: repo, location: "us-central1", format: "DOCKER" });
        expect(r.inputs.labels).toEqual({ "managed-by": "pulumi", "staging-repository": repo });
        expect(r.protect).toBe(true);
        expect(r.dependsOn).toEqual([serviceUrn("artifactregistry.googleapis.com")]);
        const policies = r.inputs.cleanupPolicies as { action: string; condition: { olderThan: string } }[];
        expect(policies).toHaveLength(1);
        expect(policies[0]!.action).toBe("DELETE");
        expect(policies[0]!.condition.olderThan).toBe("7776000s");
        expect(r.inputs.cleanupPolicyDryRun).toBe(dryRun);
      });

      it(`reader allUsers and P, writer ${writers} and its build account, repoAdmin A (exactly)`, () => {
        const iam = where(estate, T.repositoryIam, { project: ID, repository: repo });
        expect(grants(iam)).toEqual(
          [
            "roles/artifactregistry.reader allUsers",
            `roles/artifactregistry.reader ${P}`,
            `roles/artifactregistry.writer group:${writers}`,
            `roles/artifactregistry.writer ref(${ID}/${account}).member`,
            `roles/artifactregistry.repoAdmin ${A}`,
          ].sort(),
        );
        for (const g of iam) expect(g.inputs.location).toBe("us-central1");
        // the writer grant to the group waits for the repository and the group's propagation pause; the others for the repository only
        const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
        expect(dependsOn).toEqual({
          "roles/artifactregistry.reader allUsers": [REPO_URN],
          [`roles/artifactregistry.reader ${P}`]: [REPO_URN],
          [`roles/artifactregistry.writer group:${writers}`]: [REPO_URN, sleepUrn(writers)],
          [`roles/artifactregistry.writer ref(${ID}/${account}).member`]: [REPO_URN],
          [`roles/artifactregistry.repoAdmin ${A}`]: [REPO_URN],
        });
        const own = iam.find((g) => typeof g.inputs.member !== "string");
        expect(own?.inputs.member).toEqual({ ref: ACCOUNT_URN, output: "member" });
      });

      it(`project viewer for ${writers}`, () => {
        const g = byUrn(estate, SHARED_URN(T.projectIam, `${ID}/roles/viewer/group:${writers}`));
        expect(g.inputs).toEqual({ project: ID, role: "roles/viewer", member: `group:${writers}` });
        expect(g.dependsOn).toEqual([PROJECT_URN, sleepUrn(writers)]);
      });

      it(`build account ${account}, after the iam API`, () => {
        const a = byUrn(estate, ACCOUNT_URN);
        expect(a.inputs).toMatchObject({ project: ID, accountId: account });
        expect(a.dependsOn).toEqual([serviceUrn("iam.googleapis.com")]);
      });

      it("usable by B (serviceAccountUser), by the CI pod test-pods/<repo> (workloadIdentityUser) and by itself (serviceAccountTokenCreator), nothing else", () => {
        const iam = where(estate, T.accountIam, { serviceAccountId: { ref: ACCOUNT_URN, output: "name" } });
        expect(grants(iam)).toEqual(
          [
            `roles/iam.serviceAccountUser ${B}`,
            `roles/iam.workloadIdentityUser serviceAccount:example-prow-build-trusted.svc.id.goog[test-pods/${repo}]`,
            `roles/iam.serviceAccountTokenCreator ref(${ID}/${account}).member`,
          ].sort(),
        );
        const self = byUrn(estate, SHARED_URN(T.accountIam, `${ID}/${account}/roles/iam.serviceAccountTokenCreator/self`));
        expect(self.inputs).toEqual({
          serviceAccountId: { ref: ACCOUNT_URN, output: "name" },
          role: "roles/iam.serviceAccountTokenCreator",
          member: { ref: ACCOUNT_URN, output: "member" },
        });
      });
    });
  }

  it("the cluster-inventory-api writers override wins: no group named after the repository is used or declared", () => {
    const members = [
      ...where(estate, T.repositoryIam, { project: ID }),
      ...where(estate, T.projectIam, { project: ID }),
    ].map((g) => g.inputs.member);
    expect(members).toContain("group:k8s-infra-staging-cluster-inv-api@example.com");
    expect(members).not.toContain("group:k8s-infra-staging-cluster-inventory-api@example.com");
    const groups = ofType(estate, T.group).map((g) => g.name);
    expect(groups).not.toContain("k8s-infra-staging-cluster-inventory-api@example.com");
  });

  it("a repository-level cleanup overrides the project's", () => {
    const catalog = bundledCatalog();
    const repo = shared(catalog, ID).repositories.find((r) => r.name === "kro")!;
    repo.cleanup = { olderThanDays: 7, dryRun: true };
    const r = byUrn(build(catalog), SHARED_URN(T.repository, `${ID}/kro`));
    expect((r.inputs.cleanupPolicies as { condition: { olderThan: string } }[])[0]!.condition.olderThan).toBe("604800s");
    expect(r.inputs.cleanupPolicyDryRun).toBe(true);
  });
});

describe("4.2 build account id: the repository cut to 27 characters + -sa", () => {
  it("buildAccountId keeps short names and cuts long ones", () => {
    expect(buildAccountId("kro")).toBe("kro-sa");
    expect(buildAccountId("node-readiness-controller")).toBe("node-readiness-controller-sa");
    expect(buildAccountId("a".repeat(27))).toBe(`${"a".repeat(27)}-sa`);
    expect(buildAccountId("a".repeat(28))).toBe(`${"a".repeat(27)}-sa`);
  });

  it("a 40-character repository (mutated catalog) gets an account id of at most 30 characters", () => {
    const name = "very-long-repository-name-for-cut-testin";
    expect(name).toHaveLength(40);
    const catalog = bundledCatalog();
    shared(catalog, ID).repositories.push({
      name,
      writers: `k8s-infra-staging-kro@example.com`,
      writerAccounts: [],
      location: "us-central1",
      buildAccount: true,
      cleanup: { olderThanDays: 90, dryRun: false },
    });
    const e = build(catalog);
    const expected = "very-long-repository-name-f-sa";
    expect(expected).toHaveLength(30);
    const a = byUrn(e, SHARED_URN(T.account, `${ID}/${expected}`));
    expect(a.inputs.accountId).toBe(expected);
    for (const acc of ofType(e, T.account)) expect(String(acc.inputs.accountId).length, acc.name).toBeLessThanOrEqual(30);
    // the full repository name still names the repository and the CI pod
    const ACCOUNT_URN = a.urn;
    expect(byUrn(e, SHARED_URN(T.repository, `${ID}/${name}`)).inputs.repositoryId).toBe(name);
    expect(grants(where(e, T.accountIam, { serviceAccountId: { ref: ACCOUNT_URN, output: "name" } }))).toContain(
      `roles/iam.workloadIdentityUser serviceAccount:example-prow-build-trusted.svc.id.goog[test-pods/${name}]`,
    );
    expect(e.projects.find((p) => p.id === ID)?.builderAccounts).toContain(`${expected}@${ID}.iam.gserviceaccount.com`);
  });
});

describe("4.2 build account ids the cut cannot make valid are catalog errors (nothing is built)", () => {
  /** The bundled catalog with `extra` repository entries added after kro in infra.yaml. */
  function withRepositories(...names: string[]): string {
    const dir = copyBundled();
    const file = path.join(dir, "infra.yaml");
    const text = fs.readFileSync(file, "utf8");
    const entries = names.map((n) => `          ${n}:\n            writers: k8s-infra-staging-kro@example.com\n`).join("");
    const edited = text.replace("          kro:\n", `          kro:\n${entries}`);
    if (edited === text) throw new Error("infra.yaml of the bundled catalog changed: kro entry not found");
    fs.writeFileSync(file, edited);
    return dir;
  }

  it("control: a third repository with a valid name loads", () => {
    const catalog = loadCatalog(withRepositories("abc"), policyOf(exampleConfig(), STACK)).catalog;
    expect(catalog && shared(catalog, ID).repositories.map((r) => r.name)).toContain("abc");
    expect(byUrn(build(catalog!), SHARED_URN(T.account, `${ID}/abc-sa`)).inputs.accountId).toBe("abc-sa");
  });

  it("two repositories that agree on their first 27 characters: an infra.yaml error naming the shared account", () => {
    const long = "sig-storage-local-static-provisioner";
    const result = loadCatalog(withRepositories(`${long}-a`, `${long}-b`), policyOf(exampleConfig(), STACK));
    expect(result.catalog).toBeUndefined();
    const errors = result.problems.filter((p) => p.severity === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe("infra.yaml");
    expect(errors[0]!.message).toContain(`${long.slice(0, 27)}-sa`);
  });

  it("a 2-character repository (account ab-sa would be 5 characters, GCP needs 6): an infra.yaml error", () => {
    const result = loadCatalog(withRepositories("ab"), policyOf(exampleConfig(), STACK));
    expect(result.catalog).toBeUndefined();
    const errors = result.problems.filter((p) => p.severity === "error");
    expect(errors.map((p) => p.file)).toEqual(["infra.yaml"]);
    expect(errors[0]!.message).toContain('"ab"');
  });
});

describe("4.2 writers groups", () => {
  it("the k8s-infra-staging-* groups of the repositories are declared once, under the writers-groups component, with their members", () => {
    for (const { writers } of Object.values(REPOS)) {
      const g = byUrn(estate, groupUrn(writers));
      expect(g.parent).toBe(WRITERS_GROUPS_URN);
      expect(g.inputs.groupKey).toEqual({ id: writers });
      expect(ofType(estate, T.group).filter((x) => x.name === writers)).toHaveLength(1);
    }
    // nothing of a writers group sits under the shared project's component
    expect(estate.declarations.filter((d) => d.parent === COMPONENT_URN && (d.type === T.group || d.type === T.membership))).toEqual([]);
    const kro = where(estate, T.membership, { group: { ref: groupUrn("k8s-infra-staging-kro@example.com"), output: "name" } });
    expect(kro.map((m) => (m.inputs.preferredMemberKey as { id: string }).id).sort()).toEqual(["trent@example.com", "uma@example.com"]);
    for (const m of kro) expect(m.parent).toBe(WRITERS_GROUPS_URN);
  });

  it("two repositories sharing one writers group declare it once", () => {
    const catalog = bundledCatalog();
    shared(catalog, ID).repositories.find((r) => r.name === "charts")!.writers = "k8s-infra-staging-kro@example.com";
    const e = build(catalog);
    const groups = ofType(e, T.group).map((g) => g.name);
    expect(groups.filter((g) => g === "k8s-infra-staging-kro@example.com")).toHaveLength(1);
    expect(groups).not.toContain("k8s-infra-staging-charts@example.com");
    expect(grants(where(e, T.repositoryIam, { project: ID, repository: "charts" }))).toContain(
      "roles/artifactregistry.writer group:k8s-infra-staging-kro@example.com",
    );
    // the charts writer grant now waits for the kro Group's propagation pause
    const chartsWriter = byUrn(e, SHARED_URN(T.repositoryIam, `${ID}/charts/roles/artifactregistry.writer/group:k8s-infra-staging-kro@example.com`));
    expect(chartsWriter.dependsOn).toEqual([SHARED_URN(T.repository, `${ID}/charts`), sleepUrn("k8s-infra-staging-kro@example.com")]);
  });

  it("a writers group not named k8s-infra-staging-* (sig-foo-leads) is referenced in IAM but not declared", () => {
    const catalog = bundledCatalog();
    shared(catalog, ID).repositories.find((r) => r.name === "kro")!.writers = "sig-foo-leads@example.com";
    const e = build(catalog);
    expect(grants(where(e, T.repositoryIam, { project: ID, repository: "kro" }))).toContain(
      "roles/artifactregistry.writer group:sig-foo-leads@example.com",
    );
    expect(byUrn(e, SHARED_URN(T.projectIam, `${ID}/roles/viewer/group:sig-foo-leads@example.com`)).inputs.member).toBe(
      "group:sig-foo-leads@example.com",
    );
    const groups = ofType(e, T.group).map((g) => (g.inputs.groupKey as { id: string }).id);
    expect(groups).not.toContain("sig-foo-leads@example.com");
    // nobody uses the kro group any more: it is no longer declared either
    expect(groups).not.toContain("k8s-infra-staging-kro@example.com");
    expect(groups).toHaveLength(8);
    expect(e.declarations.some((d) => d.name.startsWith("sig-foo-leads@"))).toBe(false);
    // no Group to wait for: the grants to sig-foo-leads wait for the repository / project only
    const KRO_URN = SHARED_URN(T.repository, `${ID}/kro`);
    const writer = byUrn(e, SHARED_URN(T.repositoryIam, `${ID}/kro/roles/artifactregistry.writer/group:sig-foo-leads@example.com`));
    expect(writer.dependsOn).toEqual([KRO_URN]);
    const viewer = byUrn(e, SHARED_URN(T.projectIam, `${ID}/roles/viewer/group:sig-foo-leads@example.com`));
    expect(viewer.dependsOn).toEqual([PROJECT_URN]);
    const toLeads = iamGrants(e).filter((d) => d.inputs.member === "group:sig-foo-leads@example.com");
    expect(toLeads).toHaveLength(2);
    for (const d of toLeads) {
      expect(groupDependencies(d), d.urn).toEqual([]);
      expect(sleepDependencies(d), d.urn).toEqual([]);
    }
    // the other repositories' writer grants still wait for their own Group (through its propagation pause)
    expect(byUrn(e, SHARED_URN(T.repositoryIam, `${ID}/charts/roles/artifactregistry.writer/group:k8s-infra-staging-charts@example.com`)).dependsOn).toEqual([
      SHARED_URN(T.repository, `${ID}/charts`),
      sleepUrn("k8s-infra-staging-charts@example.com"),
    ]);
  });

  it("a k8s-infra-staging-* group of another domain is not declared either", () => {
    const catalog = bundledCatalog();
    shared(catalog, ID).repositories.find((r) => r.name === "kro")!.writers = "k8s-infra-staging-kro@example.org";
    const e = build(catalog);
    expect(ofType(e, T.group).map((g) => g.name)).not.toContain("k8s-infra-staging-kro@example.org");
    expect(grants(where(e, T.repositoryIam, { project: ID, repository: "kro" }))).toContain(
      "roles/artifactregistry.writer group:k8s-infra-staging-kro@example.org",
    );
    const writer = byUrn(e, SHARED_URN(T.repositoryIam, `${ID}/kro/roles/artifactregistry.writer/group:k8s-infra-staging-kro@example.org`));
    expect(writer.dependsOn).toEqual([SHARED_URN(T.repository, `${ID}/kro`)]);
  });
});

describe("summary of the shared project", () => {
  it("lists one entry per repository", () => {
    const s = estate.projects.find((p) => p.id === ID)!;
    expect(s.kind).toBe("shared");
    expect(s.registries).toEqual(Object.keys(REPOS).sort().map((r) => `us-central1-docker.pkg.dev/${ID}/${r}`));
    expect(s.buckets).toEqual([`gs://${ID}-gcb`]);
    expect(s.repositories.find((r) => r.name === "node-readiness-controller")).toEqual({
      name: "node-readiness-controller",
      registry: `us-central1-docker.pkg.dev/${ID}/node-readiness-controller`,
      writersGroup: "k8s-infra-staging-node-readiness@example.com",
      writerAccounts: [],
      builderAccount: `node-readiness-controller-sa@${ID}.iam.gserviceaccount.com`,
      cleanupDays: 90,
      cleanupDryRun: true,
    });
  });
});
