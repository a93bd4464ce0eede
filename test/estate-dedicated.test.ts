/**
 * Spec 4.1 (dedicated staging project) and 4.4 (release projects), row by row,
 * on the bundled catalog: k8s-staging-boskos (all defaults), k8s-staging-cluster-api-gcp
 * (extra `services`), k8s-staging-releng (`release: true`), k8s-staging-kueue (a manager).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT } from "../src/estate/declaration";
import { DEDICATED_APIS } from "../src/estate/dedicated-project";
import type { Estate } from "../src/estate/estate";
import {
  build,
  bundledCatalog,
  byUrn,
  componentUrn,
  copyBundled,
  dedicated,
  DEDICATED_URN,
  grants,
  groupUrn,
  loadOk,
  membershipUrn,
  ofType,
  exampleConfig,
  T,
  where,
  removeTempDirs,
  sleepUrn,
  WRITERS_GROUPS_URN,
} from "./fixtures/estate/support";

afterAll(removeTempDirs);

const ID = "k8s-staging-boskos";
const W = "group:k8s-infra-staging-boskos@example.com";
const A = "group:k8s-infra-artifact-admins@example.com";
const B = "serviceAccount:gcb-builder@example-prow-build-trusted.iam.gserviceaccount.com";
const P = "serviceAccount:k8s-infra-gcr-promoter@example-artifacts-prod.iam.gserviceaccount.com";
/** The vulnerability scanning account (vulnerabilityScanningAccount of Pulumi.example.yaml). */
const V = "serviceAccount:k8s-infra-gcr-vuln-scanning@example-artifacts-prod.iam.gserviceaccount.com";

const COMPONENT_URN = componentUrn(COMPONENT.dedicated, ID);
const PROJECT_URN = DEDICATED_URN(T.project, ID);
const serviceUrn = (id: string, api: string) => DEDICATED_URN(T.service, `${id}/${api}`);
const BUILDER_URN = DEDICATED_URN(T.account, `${ID}/gcb-image-builder`);
/** URN of W's Group: under the writers-groups component, not under the project's. */
const W_GROUP_URN = groupUrn("k8s-infra-staging-boskos@example.com");
/** URN of the wait after W's Group is created: grants to W depend on it (not on the Group itself). */
const W_SLEEP_URN = sleepUrn("k8s-infra-staging-boskos@example.com");

/** The 13 APIs of spec table 4.1, spelled out (not taken from the code). */
const SPEC_APIS = [
  "artifactregistry",
  "cloudasset",
  "cloudbuild",
  "cloudkms",
  "containerregistry",
  "iam",
  "secretmanager",
  "policytroubleshooter",
  "storage-component",
  "logging",
  "pubsub",
  "storage-api",
  "iamcredentials",
].map((a) => `${a}.googleapis.com`);

let estate: Estate;
beforeAll(() => {
  estate = build(bundledCatalog());
});

describe("the stack configuration the rows refer to", () => {
  it("is the example stack: W, A, B, P and V as written in Pulumi.example.yaml", () => {
    const c = exampleConfig();
    expect(c.organizationId).toBe("123456789012");
    expect(`group:${c.artifactAdminsGroup}`).toBe(A);
    expect(`serviceAccount:${c.ciBuilderServiceAccount}`).toBe(B);
    expect(`serviceAccount:${c.promoterServiceAccount}`).toBe(P);
    expect(`serviceAccount:${c.vulnerabilityScanningAccount}`).toBe(V);
    expect(c.folderId).toBeUndefined();
    expect(c.customerId).toBeUndefined();
  });
});

describe("4.1 component", () => {
  it("groups the project's resources under a DedicatedStagingProject component named by the id", () => {
    const c = byUrn(estate, COMPONENT_URN);
    expect(c.type).toBe("k8s-infra:staging:DedicatedStagingProject");
    expect(c.parent).toBeNull();
    expect(c.inputs).toEqual({ projectId: ID });
    const children = estate.declarations.filter((d) => d.parent === COMPONENT_URN);
    expect(children.length).toBeGreaterThan(40);
    for (const d of children) expect(d.urn.startsWith(`urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:DedicatedStagingProject$gcp:`)).toBe(true);
    // the writers group and its memberships are not the project's: they sit under writers-groups
    expect(children.filter((d) => d.type === T.group || d.type === T.membership)).toEqual([]);
  });
});

describe("4.1 project", () => {
  it("declares id and name = the id, under the org, the billing account, autoCreateNetwork true (Compute left alone), PREVENT, protected", () => {
    const p = byUrn(estate, PROJECT_URN);
    expect(p.type).toBe("gcp:organizations/project:Project");
    expect(p.name).toBe(ID);
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
    expect(p.inputs).not.toHaveProperty("folderId");
  });

  it("uses the folder instead of the org when config.folderId is set", () => {
    const config = { ...exampleConfig(), folderId: "987654321012" };
    const e = build(bundledCatalog(config), config);
    const p = byUrn(e, PROJECT_URN);
    expect(p.inputs.folderId).toBe("987654321012");
    expect(p.inputs).not.toHaveProperty("orgId");
    expect(p.protect).toBe(true);
    expect(p.inputs.deletionPolicy).toBe("PREVENT");
    // every project of the estate moves to the folder
    for (const proj of ofType(e, T.project)) {
      expect(proj.inputs.folderId, proj.name).toBe("987654321012");
      expect(proj.inputs.orgId, proj.name).toBeUndefined();
    }
  });
});

describe("4.1 APIs", () => {
  it("the code's list is exactly the spec's 13 APIs", () => {
    expect([...DEDICATED_APIS].sort()).toEqual([...SPEC_APIS].sort());
    expect(SPEC_APIS).toHaveLength(13);
  });

  it("enables exactly the 13 APIs on a project without `services`", () => {
    const services = where(estate, T.service, { project: ID });
    expect(services.map((s) => s.inputs.service).sort()).toEqual([...SPEC_APIS].sort());
  });

  it("adds `services` to the 13 (k8s-staging-cluster-api-gcp: compute, oslogin)", () => {
    const id = "k8s-staging-cluster-api-gcp";
    const services = where(estate, T.service, { project: id });
    expect(services.map((s) => s.inputs.service).sort()).toEqual(
      [...SPEC_APIS, "compute.googleapis.com", "oslogin.googleapis.com"].sort(),
    );
    expect(byUrn(estate, serviceUrn(id, "compute.googleapis.com")).dependsOn).toEqual([DEDICATED_URN(T.project, id)]);
  });

  it("a `services` entry repeating a default API is declared once", () => {
    const catalog = bundledCatalog();
    dedicated(catalog, ID).services = ["iam.googleapis.com", "run.googleapis.com"];
    const e = build(catalog);
    const services = where(e, T.service, { project: ID }).map((s) => s.inputs.service);
    expect(services).toHaveLength(14);
    expect(services.filter((s) => s === "iam.googleapis.com")).toHaveLength(1);
    expect(services).toContain("run.googleapis.com");
  });

  it("each Service: disableOnDestroy false, retained on delete, waits for the project", () => {
    for (const api of SPEC_APIS) {
      const s = byUrn(estate, serviceUrn(ID, api));
      expect(s.type).toBe("gcp:projects/service:Service");
      expect(s.name).toBe(`${ID}/${api}`);
      expect(s.inputs).toMatchObject({ project: ID, service: api, disableOnDestroy: false });
      expect(s.retainOnDelete, api).toBe(true);
      expect(s.protect, api).toBe(false);
      expect(s.dependsOn, api).toEqual([PROJECT_URN]);
      expect(s.parent).toBe(COMPONENT_URN);
    }
  });
});

describe("4.1 project IAM", () => {
  it("is exactly: viewer W and A; builds.editor and serviceUsageConsumer W; builds.builder B; occurrences.viewer V; builds.editor for the builder account", () => {
    const iam = where(estate, T.projectIam, { project: ID });
    expect(grants(iam)).toEqual(
      [
        `roles/viewer ${W}`,
        `roles/viewer ${A}`,
        `roles/cloudbuild.builds.editor ${W}`,
        `roles/serviceusage.serviceUsageConsumer ${W}`,
        `roles/cloudbuild.builds.builder ${B}`,
        `roles/containeranalysis.occurrences.viewer ${V}`,
        `roles/cloudbuild.builds.editor ref(${ID}/gcb-image-builder).member`,
      ].sort(),
    );
    for (const g of iam) {
      expect(g.type).toBe("gcp:projects/iAMMember:IAMMember");
      expect(g.parent).toBe(COMPONENT_URN);
    }
    // a grant to W also waits for W's Group and the propagation pause after it (GCP refuses a grant to a group
    // it does not know yet); A is not declared here
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      [`roles/viewer ${W}`]: [PROJECT_URN, W_SLEEP_URN],
      [`roles/viewer ${A}`]: [PROJECT_URN],
      [`roles/cloudbuild.builds.editor ${W}`]: [PROJECT_URN, W_SLEEP_URN],
      [`roles/serviceusage.serviceUsageConsumer ${W}`]: [PROJECT_URN, W_SLEEP_URN],
      [`roles/cloudbuild.builds.builder ${B}`]: [PROJECT_URN],
      [`roles/containeranalysis.occurrences.viewer ${V}`]: [PROJECT_URN],
      [`roles/cloudbuild.builds.editor ref(${ID}/gcb-image-builder).member`]: [PROJECT_URN],
    });
  });

  it("the builder's grant is a reference to the account's `member` output", () => {
    const [g] = where(estate, T.projectIam, { project: ID, role: "roles/cloudbuild.builds.editor", member: { ref: BUILDER_URN, output: "member" } });
    expect(g).toBeDefined();
    expect(g!.inputs.member).toEqual({ ref: BUILDER_URN, output: "member" });
  });

  it("is named by project, role and member (one member per resource)", () => {
    const g = byUrn(estate, DEDICATED_URN(T.projectIam, `${ID}/roles/viewer/${W}`));
    expect(g.inputs).toEqual({ project: ID, role: "roles/viewer", member: W });
  });

  it("a project without `release` has none of the release grants", () => {
    const roles = where(estate, T.projectIam, { project: ID }).map((g) => g.inputs.role);
    expect(roles).not.toContain("roles/artifactregistry.admin");
    expect(roles).not.toContain("roles/artifactregistry.repoAdmin");
  });
});

describe("4.1 project IAM: the `iam` extension", () => {
  it("adds one additive grant per member (mutated catalog); a grant repeating a default is declared once", () => {
    const catalog = bundledCatalog();
    dedicated(catalog, ID).iam = [
      { role: "roles/secretmanager.secretAccessor", members: ["group:sig-testing-leads@example.com", "user:ops@example.com"] },
      { role: "roles/viewer", members: [W] },
    ];
    const e = build(catalog);
    const iam = where(e, T.projectIam, { project: ID });
    expect(grants(iam)).toEqual(
      [
        `roles/viewer ${W}`,
        `roles/viewer ${A}`,
        `roles/cloudbuild.builds.editor ${W}`,
        `roles/serviceusage.serviceUsageConsumer ${W}`,
        `roles/cloudbuild.builds.builder ${B}`,
        `roles/containeranalysis.occurrences.viewer ${V}`,
        `roles/cloudbuild.builds.editor ref(${ID}/gcb-image-builder).member`,
        "roles/secretmanager.secretAccessor group:sig-testing-leads@example.com",
        "roles/secretmanager.secretAccessor user:ops@example.com",
      ].sort(),
    );
    const g = byUrn(e, DEDICATED_URN(T.projectIam, `${ID}/roles/secretmanager.secretAccessor/user:ops@example.com`));
    expect(g.dependsOn).toEqual([PROJECT_URN]);
    // sig-testing-leads is not declared here: no Group to wait for
    const leads = byUrn(e, DEDICATED_URN(T.projectIam, `${ID}/roles/secretmanager.secretAccessor/group:sig-testing-leads@example.com`));
    expect(leads.dependsOn).toEqual([PROJECT_URN]);
    // the repeated default grant to W is the default one, still waiting for W's Group (through its propagation pause)
    expect(byUrn(e, DEDICATED_URN(T.projectIam, `${ID}/roles/viewer/${W}`)).dependsOn).toEqual([PROJECT_URN, W_SLEEP_URN]);
    // other projects are untouched
    expect(where(e, T.projectIam, { role: "roles/secretmanager.secretAccessor" })).toHaveLength(2);
  });

  it("reads `iam` from infra.yaml (temporary copy of the bundled catalog)", () => {
    const dir = copyBundled();
    const infraFile = path.join(dir, "infra.yaml");
    const text = fs.readFileSync(infraFile, "utf8");
    const edited = text.replace(
      "      k8s-staging-kind:\n",
      [
        "      k8s-staging-kind:",
        "        iam:",
        "          - role: roles/logging.viewer",
        "            members: [user:kim@example.com, group:sig-testing-leads@example.com]",
        "",
      ].join("\n"),
    );
    expect(edited).not.toBe(text);
    fs.writeFileSync(infraFile, edited);
    const e = build(loadOk(dir));
    expect(grants(where(e, T.projectIam, { project: "k8s-staging-kind", role: "roles/logging.viewer" }))).toEqual([
      "roles/logging.viewer group:sig-testing-leads@example.com",
      "roles/logging.viewer user:kim@example.com",
    ]);
    expect(where(estate, T.projectIam, { role: "roles/logging.viewer" })).toEqual([]);
  });
});

describe("4.1 GCR repository", () => {
  const GCR_URN = DEDICATED_URN(T.repository, `${ID}/gcr.io`);

  it("is Artifact Registry gcr.io, location us, DOCKER, protected, after the artifactregistry API", () => {
    const r = byUrn(estate, GCR_URN);
    expect(r.type).toBe("gcp:artifactregistry/repository:Repository");
    expect(r.inputs).toMatchObject({ project: ID, repositoryId: "gcr.io", location: "us", format: "DOCKER" });
    expect(r.protect).toBe(true);
    expect(r.dependsOn).toEqual([serviceUrn(ID, "artifactregistry.googleapis.com")]);
    expect(r.parent).toBe(COMPONENT_URN);
  });

  it("reader: allUsers and P; writer: W; repoAdmin: A (exactly)", () => {
    const iam = where(estate, T.repositoryIam, { project: ID, repository: "gcr.io" });
    expect(grants(iam)).toEqual(
      [
        `roles/artifactregistry.reader allUsers`,
        `roles/artifactregistry.reader ${P}`,
        `roles/artifactregistry.writer ${W}`,
        `roles/artifactregistry.repoAdmin ${A}`,
      ].sort(),
    );
    for (const g of iam) expect(g.inputs.location).toBe("us");
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      "roles/artifactregistry.reader allUsers": [GCR_URN],
      [`roles/artifactregistry.reader ${P}`]: [GCR_URN],
      [`roles/artifactregistry.writer ${W}`]: [GCR_URN, W_SLEEP_URN],
      [`roles/artifactregistry.repoAdmin ${A}`]: [GCR_URN],
    });
  });
});

describe("4.1 regional repository", () => {
  const IMAGES_URN = DEDICATED_URN(T.repository, `${ID}/images`);

  it("is `images` in the staging region, DOCKER, protected, with a cleanup deleting versions older than 90 days", () => {
    const r = byUrn(estate, IMAGES_URN);
    expect(r.inputs).toMatchObject({ project: ID, repositoryId: "images", location: "us-central1", format: "DOCKER" });
    expect(r.protect).toBe(true);
    expect(r.dependsOn).toEqual([serviceUrn(ID, "artifactregistry.googleapis.com")]);
    const policies = r.inputs.cleanupPolicies as { action: string; condition: { olderThan: string; tagState?: string } }[];
    expect(policies).toHaveLength(1);
    expect(policies[0]!.action).toBe("DELETE");
    expect(policies[0]!.condition.olderThan).toBe("7776000s");
    expect(policies[0]!.condition.tagState).toBe("ANY");
    expect(r.inputs.cleanupPolicyDryRun).toBe(false);
  });

  it("follows the project's `cleanup` (30 days, dry run)", () => {
    const catalog = bundledCatalog();
    dedicated(catalog, ID).cleanup = { olderThanDays: 30, dryRun: true };
    const r = byUrn(build(catalog), IMAGES_URN);
    const policies = r.inputs.cleanupPolicies as { condition: { olderThan: string } }[];
    expect(policies[0]!.condition.olderThan).toBe("2592000s");
    expect(r.inputs.cleanupPolicyDryRun).toBe(true);
  });

  it("reader: allUsers and P; writer: W; repoAdmin: A (exactly)", () => {
    const iam = where(estate, T.repositoryIam, { project: ID, repository: "images" });
    expect(grants(iam)).toEqual(
      [
        `roles/artifactregistry.reader allUsers`,
        `roles/artifactregistry.reader ${P}`,
        `roles/artifactregistry.writer ${W}`,
        `roles/artifactregistry.repoAdmin ${A}`,
      ].sort(),
    );
    for (const g of iam) expect(g.inputs.location).toBe("us-central1");
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      "roles/artifactregistry.reader allUsers": [IMAGES_URN],
      [`roles/artifactregistry.reader ${P}`]: [IMAGES_URN],
      [`roles/artifactregistry.writer ${W}`]: [IMAGES_URN, W_SLEEP_URN],
      [`roles/artifactregistry.repoAdmin ${A}`]: [IMAGES_URN],
    });
  });

  it("the project has exactly these two repositories", () => {
    expect(where(estate, T.repository, { project: ID }).map((r) => r.inputs.repositoryId).sort()).toEqual(["gcr.io", "images"]);
  });
});

describe("4.1 bucket <id>", () => {
  const BUCKET_URN = DEDICATED_URN(T.bucket, ID);

  it("location us, uniform access, deleted after 60 days, access logs to the log bucket with the bucket name as prefix, protected", () => {
    const b = byUrn(estate, BUCKET_URN);
    expect(b.type).toBe("gcp:storage/bucket:Bucket");
    expect(b.inputs).toMatchObject({ name: ID, project: ID, location: "us", uniformBucketLevelAccess: true });
    expect(b.inputs.lifecycleRules).toEqual([{ action: { type: "Delete" }, condition: { age: 60 } }]);
    expect(b.inputs.logging).toEqual({ logBucket: "example-artifacts-gcslogs", logObjectPrefix: ID });
    expect(b.protect).toBe(true);
    expect(b.dependsOn).toEqual([serviceUrn(ID, "storage-api.googleapis.com")]);
  });

  it("objectViewer: allUsers; objectAdmin + legacyBucketOwner: A; objectAdmin + legacyBucketWriter: W (exactly)", () => {
    const iam = where(estate, T.bucketIam, { bucket: ID });
    expect(grants(iam)).toEqual(
      [
        "roles/storage.objectViewer allUsers",
        `roles/storage.objectAdmin ${A}`,
        `roles/storage.legacyBucketOwner ${A}`,
        `roles/storage.objectAdmin ${W}`,
        `roles/storage.legacyBucketWriter ${W}`,
      ].sort(),
    );
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      "roles/storage.objectViewer allUsers": [BUCKET_URN],
      [`roles/storage.objectAdmin ${A}`]: [BUCKET_URN],
      [`roles/storage.legacyBucketOwner ${A}`]: [BUCKET_URN],
      [`roles/storage.objectAdmin ${W}`]: [BUCKET_URN, W_SLEEP_URN],
      [`roles/storage.legacyBucketWriter ${W}`]: [BUCKET_URN, W_SLEEP_URN],
    });
  });
});

describe("4.1 bucket <id>-gcb", () => {
  const GCB = `${ID}-gcb`;
  const GCB_URN = DEDICATED_URN(T.bucket, GCB);

  it("as <id> but without access logs", () => {
    const b = byUrn(estate, GCB_URN);
    expect(b.inputs).toMatchObject({ name: GCB, project: ID, location: "us", uniformBucketLevelAccess: true });
    expect(b.inputs.lifecycleRules).toEqual([{ action: { type: "Delete" }, condition: { age: 60 } }]);
    expect(b.inputs.logging).toBeUndefined();
    expect(b.protect).toBe(true);
    expect(b.dependsOn).toEqual([serviceUrn(ID, "storage-api.googleapis.com")]);
  });

  it("objectCreator + objectViewer: B, plus the admin/writer grants of A and W; public-read like <id> (objectViewer: allUsers)", () => {
    const iam = where(estate, T.bucketIam, { bucket: GCB });
    expect(grants(iam)).toEqual(
      [
        "roles/storage.objectViewer allUsers",
        `roles/storage.objectCreator ${B}`,
        `roles/storage.objectViewer ${B}`,
        `roles/storage.objectAdmin ${A}`,
        `roles/storage.legacyBucketOwner ${A}`,
        `roles/storage.objectAdmin ${W}`,
        `roles/storage.legacyBucketWriter ${W}`,
      ].sort(),
    );
    expect(iam.filter((g) => g.inputs.member === "allUsers").map((g) => g.inputs.role)).toEqual(["roles/storage.objectViewer"]);
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      "roles/storage.objectViewer allUsers": [GCB_URN],
      [`roles/storage.objectCreator ${B}`]: [GCB_URN],
      [`roles/storage.objectViewer ${B}`]: [GCB_URN],
      [`roles/storage.objectAdmin ${A}`]: [GCB_URN],
      [`roles/storage.legacyBucketOwner ${A}`]: [GCB_URN],
      [`roles/storage.objectAdmin ${W}`]: [GCB_URN, W_SLEEP_URN],
      [`roles/storage.legacyBucketWriter ${W}`]: [GCB_URN, W_SLEEP_URN],
    });
  });

  it("the project has exactly these two buckets", () => {
    expect(where(estate, T.bucket, { project: ID }).map((b) => b.inputs.name).sort()).toEqual([ID, GCB]);
  });
});

describe("4.1 service account gcb-image-builder", () => {
  it("is declared in the project after the iam API", () => {
    const a = byUrn(estate, BUILDER_URN);
    expect(a.type).toBe("gcp:serviceaccount/account:Account");
    expect(a.inputs).toMatchObject({ project: ID, accountId: "gcb-image-builder" });
    expect(a.dependsOn).toEqual([serviceUrn(ID, "iam.googleapis.com")]);
  });

  it("may mint tokens for itself (a reference to its own name and member)", () => {
    const iam = where(estate, T.accountIam, { serviceAccountId: { ref: BUILDER_URN, output: "name" } });
    expect(iam).toHaveLength(1);
    expect(iam[0]!.inputs).toEqual({
      serviceAccountId: { ref: BUILDER_URN, output: "name" },
      role: "roles/iam.serviceAccountTokenCreator",
      member: { ref: BUILDER_URN, output: "member" },
    });
  });

  it("is the only account of the project", () => {
    expect(where(estate, T.account, { project: ID }).map((a) => a.inputs.accountId)).toEqual(["gcb-image-builder"]);
  });
});

describe("4.1 writers group W", () => {
  const GROUP_URN = W_GROUP_URN;
  const LOOKUP = { lookup: "organization", output: "directoryCustomerId", organization: "organizations/123456789012", prefix: "customers/" };

  it("is a Cloud Identity group with the email as key and the discussion-forum label; parent = the org's customer looked up", () => {
    const g = byUrn(estate, GROUP_URN);
    expect(g.type).toBe("gcp:cloudidentity/group:Group");
    expect(g.name).toBe("k8s-infra-staging-boskos@example.com");
    // Pulumi parent: the one writers-groups component, not the project's component
    expect(g.parent).toBe(WRITERS_GROUPS_URN);
    expect(g.dependsOn).toEqual([]);
    // protected: the reconciler would recreate a deleted group under a new id
    expect(g.protect).toBe(true);
    // the Cloud Identity provider with the quota project (user credentials need it)
    expect(g.provider).toBe(`${WRITERS_GROUPS_URN.split("::").slice(0, 2).join("::")}::k8s-infra:staging:WritersGroups$pulumi:providers:gcp::cloud-identity`);
    expect(g.inputs.groupKey).toEqual({ id: "k8s-infra-staging-boskos@example.com" });
    expect(g.inputs.labels).toEqual({ "cloudidentity.googleapis.com/groups.discussion_forum": "" });
    expect(g.inputs.parent).toEqual(LOOKUP);
  });

  it("is followed by a Sleep of groupPropagationSeconds under writers-groups, after the Group; grants to W wait for the Sleep", () => {
    const sleep = byUrn(estate, W_SLEEP_URN);
    expect(sleep.type).toBe("time:index/sleep:Sleep");
    expect(sleep.name).toBe("k8s-infra-staging-boskos@example.com/iam-propagation");
    expect(sleep.parent).toBe(WRITERS_GROUPS_URN);
    expect(sleep.dependsOn).toEqual([W_GROUP_URN]);
    expect(sleep.inputs).toEqual({ createDuration: "60s" });
    const toW = estate.declarations.filter((d) => (d.inputs as { member?: unknown }).member === W);
    expect(toW.length).toBeGreaterThan(0);
    for (const g of toW) {
      expect(g.dependsOn, g.name).toContain(W_SLEEP_URN);
      expect(g.dependsOn, g.name).not.toContain(W_GROUP_URN);
    }
  });

  it("parent = customers/<id> when config.customerId is set (no lookup anywhere)", () => {
    const config = { ...exampleConfig(), customerId: "C01abcdef" };
    const e = build(bundledCatalog(config), config);
    expect(byUrn(e, GROUP_URN).inputs.parent).toBe("customers/C01abcdef");
    const groups = ofType(e, T.group);
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) expect(g.inputs.parent, g.name).toBe("customers/C01abcdef");
  });

  it("one GroupMembership per member of its groups.yaml entry, role MEMBER", () => {
    const ms = where(estate, T.membership, { group: { ref: GROUP_URN, output: "name" } });
    expect(ms.map((m) => (m.inputs.preferredMemberKey as { id: string }).id).sort()).toEqual([
      "alice@example.com",
      "bob@example.com",
      "carol@example.com",
    ]);
    for (const m of ms) {
      const member = (m.inputs.preferredMemberKey as { id: string }).id;
      expect(m.inputs.roles).toEqual([{ name: "MEMBER" }]);
      expect(m.name).toBe(`k8s-infra-staging-boskos@example.com/${member}`);
      expect(m.urn).toBe(membershipUrn("k8s-infra-staging-boskos@example.com", member));
      expect(m.parent).toBe(WRITERS_GROUPS_URN);
      expect(m.dependsOn).toEqual([]);
    }
  });

  it("a manager (kueue: frank) is one membership with the roles MEMBER and MANAGER", () => {
    const KUEUE = groupUrn("k8s-infra-staging-kueue@example.com");
    const ms = where(estate, T.membership, { group: { ref: KUEUE, output: "name" } });
    const byMember = Object.fromEntries(ms.map((m) => [(m.inputs.preferredMemberKey as { id: string }).id, m.inputs.roles]));
    expect(byMember).toEqual({
      "frank@example.com": [{ name: "MEMBER" }, { name: "MANAGER" }],
      "grace@example.com": [{ name: "MEMBER" }],
      "heidi@example.com": [{ name: "MEMBER" }],
      "ivan@example.com": [{ name: "MEMBER" }],
    });
    expect(ms.filter((m) => (m.inputs.preferredMemberKey as { id: string }).id === "frank@example.com")).toHaveLength(1);
  });

  it("each writers group is declared exactly once", () => {
    const emails = ofType(estate, T.group).map((g) => (g.inputs.groupKey as { id: string }).id);
    expect(new Set(emails).size).toBe(emails.length);
    expect(emails.sort()).toEqual([
      "k8s-infra-staging-boskos@example.com",
      "k8s-infra-staging-charts@example.com",
      "k8s-infra-staging-cluster-api-gcp@example.com",
      "k8s-infra-staging-cluster-inv-api@example.com",
      "k8s-infra-staging-kind@example.com",
      "k8s-infra-staging-kro@example.com",
      "k8s-infra-staging-kueue@example.com",
      "k8s-infra-staging-node-readiness@example.com",
      "k8s-infra-staging-releng@example.com",
    ]);
  });

  it("a writers group without a groups.yaml entry is still declared, with no members", () => {
    const catalog = bundledCatalog();
    catalog.groups = catalog.groups.filter((g) => g.email !== "k8s-infra-staging-boskos@example.com");
    const e = build(catalog);
    const g = byUrn(e, GROUP_URN);
    expect(g.inputs.groupKey).toEqual({ id: "k8s-infra-staging-boskos@example.com" });
    expect(g.parent).toBe(WRITERS_GROUPS_URN);
    expect(where(e, T.membership, { group: { ref: GROUP_URN, output: "name" } })).toEqual([]);
    // grants to W still wait for it (through its propagation pause)
    expect(byUrn(e, DEDICATED_URN(T.projectIam, `${ID}/roles/viewer/${W}`)).dependsOn).toEqual([PROJECT_URN, W_SLEEP_URN]);
  });

  it("a grant of the `iam` extension to another project's declared writers group waits for that Group's propagation pause", () => {
    const catalog = bundledCatalog();
    const KIND = "group:k8s-infra-staging-kind@example.com";
    dedicated(catalog, ID).iam = [{ role: "roles/logging.viewer", members: [KIND] }];
    const e = build(catalog);
    const g = byUrn(e, DEDICATED_URN(T.projectIam, `${ID}/roles/logging.viewer/${KIND}`));
    expect(g.dependsOn).toEqual([PROJECT_URN, sleepUrn("k8s-infra-staging-kind@example.com")]);
    expect(g.parent).toBe(COMPONENT_URN);
  });
});

describe("4.4 release-engineering project (k8s-staging-releng, release: true)", () => {
  const RELENG = "k8s-staging-releng";

  it("adds viewer for the release viewers, artifactregistry.admin for the admins, repoAdmin for the editors", () => {
    const iam = where(estate, T.projectIam, { project: RELENG });
    expect(grants(iam)).toEqual(
      [
        "roles/viewer group:k8s-infra-staging-releng@example.com",
        `roles/viewer ${A}`,
        "roles/cloudbuild.builds.editor group:k8s-infra-staging-releng@example.com",
        "roles/serviceusage.serviceUsageConsumer group:k8s-infra-staging-releng@example.com",
        `roles/cloudbuild.builds.builder ${B}`,
        `roles/containeranalysis.occurrences.viewer ${V}`,
        `roles/cloudbuild.builds.editor ref(${RELENG}/gcb-image-builder).member`,
        "roles/viewer group:k8s-infra-release-viewers@example.com",
        "roles/artifactregistry.admin group:k8s-infra-release-admins@example.com",
        "roles/artifactregistry.repoAdmin group:k8s-infra-release-editors@example.com",
      ].sort(),
    );
  });

  it("the release groups are not declared here: their grants wait for the project only; the releng writers' for their Group's pause too", () => {
    const PROJECT = DEDICATED_URN(T.project, RELENG);
    const RELENG_GROUP = sleepUrn("k8s-infra-staging-releng@example.com");
    const iam = where(estate, T.projectIam, { project: RELENG });
    const dependsOn = Object.fromEntries(iam.map((g) => [grants([g])[0]!, g.dependsOn]));
    expect(dependsOn).toEqual({
      "roles/viewer group:k8s-infra-staging-releng@example.com": [PROJECT, RELENG_GROUP],
      [`roles/viewer ${A}`]: [PROJECT],
      "roles/cloudbuild.builds.editor group:k8s-infra-staging-releng@example.com": [PROJECT, RELENG_GROUP],
      "roles/serviceusage.serviceUsageConsumer group:k8s-infra-staging-releng@example.com": [PROJECT, RELENG_GROUP],
      [`roles/cloudbuild.builds.builder ${B}`]: [PROJECT],
      [`roles/containeranalysis.occurrences.viewer ${V}`]: [PROJECT],
      [`roles/cloudbuild.builds.editor ref(${RELENG}/gcb-image-builder).member`]: [PROJECT],
      "roles/viewer group:k8s-infra-release-viewers@example.com": [PROJECT],
      "roles/artifactregistry.admin group:k8s-infra-release-admins@example.com": [PROJECT],
      "roles/artifactregistry.repoAdmin group:k8s-infra-release-editors@example.com": [PROJECT],
    });
  });

  it("takes the three groups from the stack configuration", () => {
    const config = {
      ...exampleConfig(),
      releaseViewersGroup: "rv@example.org",
      releaseAdminsGroup: "ra@example.org",
      releaseEditorsGroup: "re@example.org",
    };
    const e = build(bundledCatalog(config), config);
    const extra = grants(where(e, T.projectIam, { project: RELENG })).filter((g) => g.includes("example.org"));
    expect(extra).toEqual(
      ["roles/viewer group:rv@example.org", "roles/artifactregistry.admin group:ra@example.org", "roles/artifactregistry.repoAdmin group:re@example.org"].sort(),
    );
  });

  it("release grants appear on no other project", () => {
    const admins = where(estate, T.projectIam, { role: "roles/artifactregistry.admin" });
    expect(admins.map((g) => g.inputs.project)).toEqual([RELENG]);
  });
});

describe("summary of a dedicated project", () => {
  it("lists its registries, buckets, writers group and builder account", () => {
    const s = estate.projects.find((p) => p.id === ID);
    expect(s).toEqual({
      id: ID,
      kind: "dedicated",
      component: COMPONENT_URN,
      registries: [`gcr.io/${ID}`, `us-central1-docker.pkg.dev/${ID}/images`],
      buckets: [`gs://${ID}`, `gs://${ID}-gcb`],
      writersGroups: ["k8s-infra-staging-boskos@example.com"],
      builderAccounts: [`gcb-image-builder@${ID}.iam.gserviceaccount.com`],
      repositories: [],
    });
  });
});
