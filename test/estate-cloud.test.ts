import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadCatalog } from "../src/catalog/catalog";
import { formatProblem } from "../src/catalog/problems";
import { policyOf, readStackConfigFile } from "../src/config";
import type { Declaration } from "../src/estate/declaration";
import { buildEstate, type Estate } from "../src/estate/estate";
import { RELEASE_STAGING_PROJECTS, specialCases } from "../src/migrate/special-cases";
import { T } from "./fixtures/estate/support";
import { REPO_ROOT, groupsFile, stagingGroup, writeTree } from "./helpers";

/** What the real cloud receives for the prod stack: the Google provider's rules and upstream's grants. */

const config = readStackConfigFile(REPO_ROOT, "prod");
const STACK = "prod";
const A = `group:${config.artifactAdminsGroup}`;
const B = `serviceAccount:${config.ciBuilderServiceAccount}`;
const TEST_PODS = `principalSet://iam.googleapis.com/projects/180382678033/locations/global/workloadIdentityPools/k8s-infra-prow-build-trusted.svc.id.goog/namespace/test-pods`;

type Loose = Declaration & { inputs: Record<string, unknown> };

/** Plans `projects` (infra.staging.projects entries) with a writers group entry for each suffix. */
function estateOf(projects: Record<string, unknown>, groupSuffixes: string[]): Estate {
  const root = writeTree({
    "infra.yaml": stringify({ infra: { staging: { projects } } }),
    "groups/sig-demo/groups.yaml": groupsFile(...groupSuffixes.map((s) => stagingGroup(s, [`${s}-writer@example.org`]))),
  });
  const result = loadCatalog(root, policyOf(config, STACK));
  const errors = result.problems.filter((p) => p.severity === "error");
  if (!result.catalog) throw new Error(errors.map(formatProblem).join("\n"));
  return buildEstate(result.catalog, config, STACK);
}

function find(estate: Estate, type: string, name: string): Loose {
  const d = estate.declarations.find((x) => x.type === type && x.name === name);
  if (!d) throw new Error(`no ${type} ${name}; have:\n${estate.declarations.filter((x) => x.type === type).map((x) => x.name).join("\n")}`);
  return d as Loose;
}
const has = (estate: Estate, type: string, name: string) => estate.declarations.some((x) => x.type === type && x.name === name);


describe("projects never enable Compute implicitly", () => {
  const estate = estateOf({ "k8s-staging-demo": null, "k8s-staging-vm": { services: ["compute.googleapis.com"] } }, ["demo", "vm"]);

  it("autoCreateNetwork is true, so the provider never enables Compute to delete the default network", () => {
    for (const id of ["k8s-staging-demo", "k8s-staging-vm"]) expect(find(estate, T.project, id).inputs.autoCreateNetwork).toBe(true);
  });

  it("the Compute API is enabled only where the entry asks for it", () => {
    expect(has(estate, T.service, "k8s-staging-demo/compute.googleapis.com")).toBe(false);
    expect(find(estate, T.service, "k8s-staging-vm/compute.googleapis.com").inputs).toEqual({
      project: "k8s-staging-vm",
      service: "compute.googleapis.com",
      disableOnDestroy: false,
      disableDependentServices: false,
    });
  });
});

describe("a dedicated project", () => {
  const estate = estateOf({ "k8s-staging-demo": null }, ["demo"]);

  it("artifact admins get repoAdmin on both staging repositories", () => {
    for (const repo of ["gcr.io", "images"]) {
      expect(find(estate, T.repositoryIam, `k8s-staging-demo/${repo}/roles/artifactregistry.repoAdmin/${A}`).inputs).toMatchObject({
        project: "k8s-staging-demo",
        repository: repo,
        role: "roles/artifactregistry.repoAdmin",
        member: A,
      });
    }
  });

  it("its -gcb bucket is public-read, as upstream's ensure_staging_gcb makes it", () => {
    expect(find(estate, T.bucketIam, "k8s-staging-demo-gcb/roles/storage.objectViewer/allUsers").inputs).toEqual({
      bucket: "k8s-staging-demo-gcb",
      role: "roles/storage.objectViewer",
      member: "allUsers",
    });
  });

  it("the vulnerability-scanning account reads scan results on the project", () => {
    const member = "serviceAccount:k8s-infra-gcr-vuln-scanning@k8s-artifacts-prod.iam.gserviceaccount.com";
    expect(find(estate, T.projectIam, `k8s-staging-demo/roles/containeranalysis.occurrences.viewer/${member}`).inputs).toEqual({
      project: "k8s-staging-demo",
      role: "roles/containeranalysis.occurrences.viewer",
      member,
    });
  });

  it("a folderId in the entry puts the project in that folder instead of the organization", () => {
    const inFolder = estateOf({ "k8s-staging-demo": { folderId: "713040427754" } }, ["demo"]);
    const inputs = find(inFolder, T.project, "k8s-staging-demo").inputs;
    expect(inputs.folderId).toBe("713040427754");
    expect(inputs).not.toHaveProperty("orgId");
    expect(find(estate, T.project, "k8s-staging-demo").inputs.orgId).toBe("758905017065");
  });
});

describe("a shared project", () => {
  const estate = estateOf({ "k8s-staging-images": { repositories: { kro: null } } }, ["kro"]);
  const account = "k8s-staging-images/kro-sa";

  it("grants the CI builder cloudbuild.builds.editor on the project (upstream iam.tf)", () => {
    expect(find(estate, T.projectIam, `k8s-staging-images/roles/cloudbuild.builds.editor/${B}`).inputs).toEqual({
      project: "k8s-staging-images",
      role: "roles/cloudbuild.builds.editor",
      member: B,
    });
  });

  it("its -gcb bucket gives storage.admin to the builder and to the CI pool's test-pods namespace (upstream buckets.tf)", () => {
    const admins = estate.declarations
      .filter((d) => d.type === T.bucketIam && d.name.startsWith("k8s-staging-images-gcb/roles/storage.admin/"))
      .map((d) => (d as Loose).inputs.member);
    expect(admins.sort()).toEqual([TEST_PODS, B].sort());
  });

  it("artifact admins get repoAdmin on every repository", () => {
    expect(find(estate, T.repositoryIam, `k8s-staging-images/kro/roles/artifactregistry.repoAdmin/${A}`).inputs.member).toBe(A);
  });

  it("each build account may mint tokens for itself (keyless signing)", () => {
    const self = find(estate, T.accountIam, `${account}/roles/iam.serviceAccountTokenCreator/self`);
    const accountUrn = find(estate, T.account, account).urn;
    expect(self.inputs).toEqual({
      serviceAccountId: { ref: accountUrn, output: "name" },
      role: "roles/iam.serviceAccountTokenCreator",
      member: { ref: accountUrn, output: "member" },
    });
  });

  it("cleanup policies carry upstream's policy name", () => {
    expect(find(estate, T.repository, "k8s-staging-images/kro").inputs.cleanupPolicies).toEqual([
      { id: "delete-images-older-than-90-days", action: "DELETE", condition: { tagState: "ANY", olderThan: "7776000s" } },
    ]);
  });
});

describe("writers groups and the first pulumi up of a new project", () => {
  const estate = estateOf({ "k8s-staging-demo": null, "k8s-staging-other": null }, ["demo", "other"]);
  const email = "k8s-infra-staging-demo@kubernetes.io";
  const group = find(estate, T.group, email);
  const settle = find(estate, T.sleep, `${email}/iam-propagation`);

  it("after a group is created, a bounded wait (Sleep, only on create) precedes every grant to it", () => {
    expect(settle.inputs).toEqual({ createDuration: "60s" });
    expect(settle.dependsOn).toEqual([group.urn]);
    expect(settle.parent).toBe(group.parent);
    const grants = estate.declarations.filter((d) => (d as Loose).inputs.member === `group:${email}`);
    expect(grants.length).toBeGreaterThan(5);
    for (const g of grants) expect(g.dependsOn).toContain(settle.urn);
  });

  it("the wait follows the stack's groupPropagationSeconds", () => {
    const root = writeTree({
      "infra.yaml": stringify({ infra: { staging: { projects: { "k8s-staging-demo": null } } } }),
      "groups/sig-demo/groups.yaml": groupsFile(stagingGroup("demo", ["a@example.org"])),
    });
    const catalog = loadCatalog(root, policyOf(config, STACK)).catalog!;
    const quick = buildEstate(catalog, { ...config, groupPropagationSeconds: 15 }, STACK);
    expect(find(quick, T.sleep, `${email}/iam-propagation`).inputs.createDuration).toBe("15s");
  });

  it("a membership whose member is another group declared here waits for that group", () => {
    const root = writeTree({
      "infra.yaml": stringify({ infra: { staging: { projects: { "k8s-staging-demo": null, "k8s-staging-other": null } } } }),
      "groups/sig-demo/groups.yaml": groupsFile(stagingGroup("demo", ["a@example.org", "k8s-infra-staging-other@kubernetes.io"]), stagingGroup("other", ["b@example.org"])),
    });
    const nested = buildEstate(loadCatalog(root, policyOf(config, STACK)).catalog!, config, STACK);
    const other = find(nested, T.group, "k8s-infra-staging-other@kubernetes.io");
    expect(find(nested, T.membership, `${email}/k8s-infra-staging-other@kubernetes.io`).dependsOn).toEqual([other.urn]);
    expect(find(nested, T.membership, `${email}/a@example.org`).dependsOn).toEqual([]);
  });
});

describe("upstream's special cases (ensure-staging-storage.sh), planned from their catalog entries", () => {
  const cases = specialCases();
  const projects = Object.fromEntries([...cases].map(([id, c]) => [id, c.entry]));
  const suffixes = [...cases.keys()].map((id) => id.slice("k8s-staging-".length));
  const estate = estateOf(projects, suffixes);
  const grant = (type: string, name: string) => find(estate, type, name).inputs;
  const RELEASE = ["viewer", "artifactregistry.admin", "artifactregistry.repoAdmin"];

  it("covers every function of the script that grants something in a staging project", () => {
    expect([...cases.keys()]).toEqual([
      "k8s-staging-artifact-promoter",
      "k8s-staging-build-image",
      "k8s-staging-ci-images",
      "k8s-staging-cip-test",
      "k8s-staging-cluster-api-gcp",
      "k8s-staging-experimental",
      "k8s-staging-krm-functions",
      "k8s-staging-kustomize",
      "k8s-staging-publishing-bot",
      "k8s-staging-releng",
      "k8s-staging-releng-test",
      "k8s-staging-sig-storage",
    ]);
  });

  it("release projects: release viewers, admins and editors (ensure_release_manager_special_cases)", () => {
    const groups: Record<string, string> = {
      viewer: "group:k8s-infra-release-viewers@kubernetes.io",
      "artifactregistry.admin": "group:k8s-infra-release-admins@kubernetes.io",
      "artifactregistry.repoAdmin": "group:k8s-infra-release-editors@kubernetes.io",
    };
    for (const id of RELEASE_STAGING_PROJECTS) {
      for (const role of RELEASE) expect(grant(T.projectIam, `${id}/roles/${role}/${groups[role]}`)).toEqual({ project: id, role: `roles/${role}`, member: groups[role] });
    }
    expect(has(estate, T.projectIam, "k8s-staging-kustomize/roles/artifactregistry.admin/group:k8s-infra-release-admins@kubernetes.io")).toBe(false);
  });

  it("ci-images: the prow-build account writes gcr.io/k8s-staging-ci-images", () => {
    const member = "serviceAccount:prow-build@k8s-infra-prow-build.iam.gserviceaccount.com";
    expect(grant(T.repositoryIam, `k8s-staging-ci-images/gcr.io/roles/artifactregistry.writer/${member}`)).toEqual({
      project: "k8s-staging-ci-images",
      location: "us",
      repository: "gcr.io",
      role: "roles/artifactregistry.writer",
      member,
    });
    expect(has(estate, T.repositoryIam, `k8s-staging-ci-images/images/roles/artifactregistry.writer/${member}`)).toBe(false);
  });

  it("cluster-api-gcp: Compute and OS Login, and gcb-builder-cluster-api-gcp with the trusted cluster's workload identity and instance admin", () => {
    const id = "k8s-staging-cluster-api-gcp";
    const name = `${id}/gcb-builder-cluster-api-gcp`;
    const email = `serviceAccount:gcb-builder-cluster-api-gcp@${id}.iam.gserviceaccount.com`;
    const account = find(estate, T.account, name);
    expect(account.inputs).toMatchObject({ project: id, accountId: "gcb-builder-cluster-api-gcp" });
    for (const api of ["compute.googleapis.com", "oslogin.googleapis.com"]) expect(has(estate, T.service, `${id}/${api}`)).toBe(true);
    const ref = (output: string) => ({ ref: account.urn, output });
    expect(grant(T.accountIam, `${name}/roles/iam.workloadIdentityUser/serviceAccount:k8s-infra-prow-build-trusted.svc.id.goog[test-pods/gcb-builder-cluster-api-gcp]`)).toEqual({
      serviceAccountId: ref("name"),
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:k8s-infra-prow-build-trusted.svc.id.goog[test-pods/gcb-builder-cluster-api-gcp]",
    });
    expect(grant(T.accountIam, `${name}/roles/iam.serviceAccountUser/${email}`)).toEqual({ serviceAccountId: ref("name"), role: "roles/iam.serviceAccountUser", member: email });
    const instanceAdmin = find(estate, T.projectIam, `${id}/roles/compute.instanceAdmin.v1/${email}`);
    expect(instanceAdmin.inputs).toEqual({ project: id, role: "roles/compute.instanceAdmin.v1", member: email });
    expect(instanceAdmin.dependsOn).toContain(account.urn);
    // ensure_staging_gcb_builder_service_account: GCR writer, Cloud Build builder, both buckets' objectCreator + objectViewer.
    const member = `${id}/gcb-builder-cluster-api-gcp.member`;
    expect(grant(T.repositoryIam, `${id}/gcr.io/roles/artifactregistry.writer/${member}`).member).toEqual(ref("member"));
    expect(grant(T.projectIam, `${id}/roles/cloudbuild.builds.builder/${member}`).member).toEqual(ref("member"));
    for (const bucket of [id, `${id}-gcb`]) for (const role of ["objectCreator", "objectViewer"]) expect(grant(T.bucketIam, `${bucket}/roles/storage.${role}/${member}`).member).toEqual(ref("member"));
  });

  it("kustomize and krm-functions: writers manage keyrings, the project's Cloud Build account decrypts", () => {
    for (const [name, cloudBuild] of [
      ["kustomize", "660796270509@cloudbuild.gserviceaccount.com"],
      ["krm-functions", "415435679132@cloudbuild.gserviceaccount.com"],
    ] as const) {
      const id = `k8s-staging-${name}`;
      const writers = `group:k8s-infra-staging-${name}@kubernetes.io`;
      const builder = `serviceAccount:${cloudBuild}`;
      for (const role of ["roles/cloudkms.admin", "roles/cloudkms.cryptoKeyEncrypter"]) expect(grant(T.projectIam, `${id}/${role}/${writers}`)).toEqual({ project: id, role, member: writers });
      for (const role of ["roles/cloudkms.cryptoKeyDecrypter", "roles/secretmanager.secretAccessor"]) expect(grant(T.projectIam, `${id}/${role}/${builder}`)).toEqual({ project: id, role, member: builder });
    }
  });

  it("releng-test: gcb-builder-releng-test for the untrusted prow-build cluster", () => {
    const name = "k8s-staging-releng-test/gcb-builder-releng-test";
    const pod = "serviceAccount:k8s-infra-prow-build.svc.id.goog[test-pods/gcb-builder-releng-test]";
    expect(grant(T.accountIam, `${name}/roles/iam.workloadIdentityUser/${pod}`).member).toBe(pod);
  });

  it("sig-storage: Compute and OS Login", () => {
    for (const api of ["compute.googleapis.com", "oslogin.googleapis.com"]) expect(has(estate, T.service, `k8s-staging-sig-storage/${api}`)).toBe(true);
  });

  it("experimental: the private k8s-artifacts-system-packages-sandbox bucket, written by release editors, with no lifecycle rule", () => {
    const bucket = grant(T.bucket, "k8s-artifacts-system-packages-sandbox");
    expect(bucket).toEqual({
      name: "k8s-artifacts-system-packages-sandbox",
      project: "k8s-staging-experimental",
      location: "us",
      uniformBucketLevelAccess: true,
      forceDestroy: false,
      labels: { "managed-by": "pulumi" },
    });
    expect(find(estate, T.bucket, "k8s-artifacts-system-packages-sandbox").protect).toBe(true);
    const grants = estate.declarations.filter((d) => d.type === T.bucketIam && d.name.startsWith("k8s-artifacts-system-packages-sandbox/")).map((d) => d.name);
    expect(grants).toEqual(["k8s-artifacts-system-packages-sandbox/roles/storage.objectAdmin/group:k8s-infra-release-editors@kubernetes.io"]);
  });
});
