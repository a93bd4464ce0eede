/**
 * The guardrails (src/policy/rules.ts): each rule on resources that break it and on the edge
 * cases it must let through; the offline check (`npm run policy`) on the example and the real
 * sample, and its exit codes; the policy pack (policy/) started as the engine starts it and fed,
 * over the analyzer protocol, what the program registers under the engine stand-in.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { policyOf, readStackConfigFile } from "../src/config";
import { buildEstate } from "../src/estate/estate";
import { toPlan } from "../src/estate/plan";
import { guardResources } from "../src/policy/offline";
import { evaluate, guardContext, RULES, UNKNOWN, type GuardContext, type GuardResource } from "../src/policy/rules";
import { startPack, UNKNOWN_INPUT, type RunningPack } from "./engine/analyzer";
import { runProgram } from "./engine/runtime";
import { copySample, K8SIO, removeStalePromotions, repairGroups, TERRAFORM } from "./fixtures/k8sio/sample";
import { build, bundledCatalog, copyBundled, exampleConfig, loadOk, removeTempDirs } from "./fixtures/estate/support";
import { PROD_POLICY, REPO_ROOT } from "./helpers";

afterAll(removeTempDirs);

const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");

const ctx: GuardContext = guardContext(bundledCatalog(), exampleConfig());
const PROMOTER = ctx.promoter;
const PROD = ctx.productionRepositories[0]!;
const KIND_WRITERS = "group:k8s-infra-staging-kind@example.com";
const CHARTS_WRITERS = "group:k8s-infra-staging-charts@example.com";

function res(type: string, props: Record<string, unknown>, protect?: boolean, name = "r"): GuardResource {
  return { type, name, urn: `urn:pulumi:example::k8s-infra-staging::${type}::${name}`, props, ...(protect !== undefined ? { protect } : {}) };
}
const repoGrant = (project: string, repository: string, role: string, member: unknown, location = "us-central1") =>
  res("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", { project, location, repository, role, member });
const projectGrant = (project: string, role: string, member: unknown) => res("gcp:projects/iAMMember:IAMMember", { project, role, member });
const bucketGrant = (bucket: string, role: string, member: unknown) => res("gcp:storage/bucketIAMMember:BucketIAMMember", { bucket, role, member });
const accountGrant = (serviceAccountId: unknown, role: string, member: unknown) => res("gcp:serviceaccount/iAMMember:IAMMember", { serviceAccountId, role, member });
const goodBucket = { name: "k8s-staging-kind", project: "k8s-staging-kind", uniformBucketLevelAccess: true, lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 60 } }] };
const goodRepo = {
  project: "k8s-staging-kind",
  location: "us-central1",
  repositoryId: "images",
  cleanupPolicies: [{ id: "d", action: "DELETE", condition: { tagState: "ANY", olderThan: "7776000s" } }],
  cleanupPolicyDryRun: false,
};

/** [rule, resource, a fragment of the one message it must give] */
const BAD: [string, GuardResource, string][] = [
  ["no-authoritative-iam-or-keys", res("gcp:projects/iAMBinding:IAMBinding", { project: "k8s-staging-kind", role: "roles/viewer", members: [KIND_WRITERS] }), "declare one IAMMember per member"],
  ["no-authoritative-iam-or-keys", res("gcp:projects/iAMPolicy:IAMPolicy", { project: "k8s-staging-kind", policyData: "{}" }), "is authoritative"],
  ["no-authoritative-iam-or-keys", res("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding", { repository: "images", role: "roles/artifactregistry.reader", members: ["allUsers"] }), "RepositoryIamMember per member"],
  ["no-authoritative-iam-or-keys", res("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", { bucket: "k8s-staging-kind", policyData: "{}" }), "BucketIAMMember per member"],
  ["no-authoritative-iam-or-keys", res("gcp:serviceaccount/iAMBinding:IAMBinding", { serviceAccountId: "x", role: "roles/iam.serviceAccountUser", members: [] }), "is authoritative"],
  ["no-authoritative-iam-or-keys", res("gcp:serviceaccount/key:Key", { serviceAccountId: "x" }), "service account key"],
  ["public-read-only-on-staging", projectGrant("k8s-staging-kind", "roles/viewer", "allUsers"), "never granted on a project or a service account"],
  ["public-read-only-on-staging", accountGrant("projects/k8s-staging-kind/serviceAccounts/a@k8s-staging-kind.iam.gserviceaccount.com", "roles/iam.serviceAccountTokenCreator", "allAuthenticatedUsers"), "never granted on a project"],
  ["public-read-only-on-staging", repoGrant("k8s-staging-kind", "images", "roles/artifactregistry.writer", "allUsers"), "only roles/artifactregistry.reader on a staging repository"],
  ["public-read-only-on-staging", repoGrant(PROD.project, PROD.repository, "roles/artifactregistry.reader", "allUsers", PROD.location), "on a staging repository"],
  ["public-read-only-on-staging", bucketGrant("k8s-staging-images-gcb", "roles/storage.objectViewer", "allUsers"), "public staging bucket"],
  ["public-read-only-on-staging", bucketGrant("k8s-staging-kind", "roles/storage.objectAdmin", "allUsers"), "only roles/storage.objectViewer"],
  ["protected-projects-and-stores", res("gcp:organizations/project:Project", { projectId: "k8s-staging-kind", deletionPolicy: "DELETE" }, true), 'set deletionPolicy: "PREVENT"'],
  ["protected-projects-and-stores", res("gcp:organizations/project:Project", { projectId: "k8s-staging-kind" }, true), "(unset: DELETE)"],
  ["protected-projects-and-stores", res("gcp:organizations/project:Project", { projectId: "k8s-staging-kind", deletionPolicy: "PREVENT" }, false), "declare it with protect: true"],
  ["protected-projects-and-stores", res("gcp:artifactregistry/repository:Repository", goodRepo, false), "repository r is not protected"],
  ["protected-projects-and-stores", res("gcp:storage/bucket:Bucket", goodBucket, false), "bucket r is not protected"],
  ["apis-stay-enabled", res("gcp:projects/service:Service", { project: "k8s-staging-kind", service: "iam.googleapis.com" }), "set disableOnDestroy: false"],
  ["apis-stay-enabled", res("gcp:projects/service:Service", { project: "k8s-staging-kind", service: "iam.googleapis.com", disableOnDestroy: true }), "disabled on destroy"],
  ["apis-stay-enabled", res("gcp:projects/service:Service", { project: "k8s-staging-kind", service: "compute.googleapis.com", disableOnDestroy: false }), "which its catalog entry does not list"],
  ["stores-expire", res("gcp:storage/bucket:Bucket", { ...goodBucket, uniformBucketLevelAccess: false }, true), "set uniformBucketLevelAccess: true"],
  ["stores-expire", res("gcp:storage/bucket:Bucket", { ...goodBucket, lifecycleRules: undefined }, true), "keeps objects forever"],
  ["stores-expire", res("gcp:storage/bucket:Bucket", { ...goodBucket, lifecycleRules: [{ action: { type: "SetStorageClass" }, condition: { age: 30 } }] }, true), "keeps objects forever"],
  ["stores-expire", res("gcp:artifactregistry/repository:Repository", { ...goodRepo, cleanupPolicies: [] }, true), "keeps every version forever"],
  ["stores-expire", res("gcp:artifactregistry/repository:Repository", { ...goodRepo, cleanupPolicies: [{ id: "k", action: "KEEP", mostRecentVersions: { keepCount: 5 } }] }, true), "keeps every version forever"],
  ["stores-expire", res("gcp:artifactregistry/repository:Repository", { ...goodRepo, cleanupPolicyDryRun: true }, true), "which its catalog entry does not declare"],
  ["promoter-reads-staging-writes-production", repoGrant("k8s-staging-kind", "images", "roles/artifactregistry.writer", PROMOTER), "may only read staging repositories"],
  ["promoter-reads-staging-writes-production", repoGrant(PROD.project, PROD.repository, "roles/artifactregistry.repoAdmin", PROMOTER, PROD.location), "may only read"],
  ["promoter-reads-staging-writes-production", repoGrant(PROD.project, "other", "roles/artifactregistry.writer", PROMOTER, PROD.location), "write the production roots' repositories"],
  ["promoter-reads-staging-writes-production", projectGrant("k8s-staging-kind", "roles/viewer", PROMOTER), "on project k8s-staging-kind"],
  ["promoter-reads-staging-writes-production", bucketGrant("k8s-staging-kind", "roles/storage.objectViewer", PROMOTER), "on bucket k8s-staging-kind"],
  ["writers-write-only-their-own", repoGrant("k8s-staging-kueue", "images", "roles/artifactregistry.writer", KIND_WRITERS), "may write only its own project k8s-staging-kind"],
  ["writers-write-only-their-own", bucketGrant("k8s-staging-kueue-gcb", "roles/storage.objectAdmin", KIND_WRITERS), "on bucket k8s-staging-kueue-gcb"],
  ["writers-write-only-their-own", repoGrant("k8s-staging-images", "kro", "roles/artifactregistry.writer", CHARTS_WRITERS), "its own repository k8s-staging-images/charts"],
  ["writers-write-only-their-own", projectGrant("k8s-staging-images", "roles/cloudbuild.builds.editor", CHARTS_WRITERS), "its own repository k8s-staging-images/charts"],
  ["owner-and-editor-only-release-admins", projectGrant("k8s-staging-kind", "roles/owner", KIND_WRITERS), "go only to group:k8s-infra-release-admins@example.com"],
  ["owner-and-editor-only-release-admins", projectGrant("k8s-staging-kind", "roles/editor", "user:someone@example.org"), "roles/editor"],
  ["owner-and-editor-only-release-admins", projectGrant("k8s-staging-kind", "roles/owner", UNKNOWN), "an account of this stack"],
];

/** [why, resource]: each passes every rule. */
const GOOD: [string, GuardResource][] = [
  ["public read of a staging repository", repoGrant("k8s-staging-kind", "gcr.io", "roles/artifactregistry.reader", "allUsers", "us")],
  ["public read of a dedicated project's build bucket", bucketGrant("k8s-staging-kind-gcb", "roles/storage.objectViewer", "allUsers")],
  ["the promoter reads a shared repository", repoGrant("k8s-staging-images", "kro", "roles/artifactregistry.reader", PROMOTER)],
  ["the promoter writes a production root", repoGrant(PROD.project, PROD.repository, "roles/artifactregistry.writer", PROMOTER, PROD.location)],
  ["a writers group writes its own project's bucket", bucketGrant("k8s-staging-kind", "roles/storage.legacyBucketWriter", KIND_WRITERS)],
  ["a writers group edits builds in its own project", projectGrant("k8s-staging-kind", "roles/cloudbuild.builds.editor", KIND_WRITERS)],
  ["a shared repository's writers write it", repoGrant("k8s-staging-images", "charts", "roles/artifactregistry.writer", CHARTS_WRITERS)],
  ["a shared repository's writers view the project", projectGrant("k8s-staging-images", "roles/viewer", CHARTS_WRITERS)],
  ["a writers group reads another project", repoGrant("k8s-staging-kueue", "images", "roles/artifactregistry.reader", KIND_WRITERS)],
  ["the release admins own a project", projectGrant("k8s-staging-releng", "roles/owner", "group:k8s-infra-release-admins@example.com")],
  ["an account of this stack builds (member unknown in a preview)", projectGrant("k8s-staging-kind", "roles/cloudbuild.builds.editor", UNKNOWN)],
  ["a grant on an account not created yet", accountGrant(UNKNOWN, "roles/iam.workloadIdentityUser", KIND_WRITERS)],
  ["a catalog that lists compute enables it", res("gcp:projects/service:Service", { project: "k8s-staging-cluster-api-gcp", service: "compute.googleapis.com", disableOnDestroy: false })],
  ["a protected project with PREVENT", res("gcp:organizations/project:Project", { projectId: "k8s-staging-kind", deletionPolicy: "PREVENT" }, true)],
  ["protect not visible to the caller", res("gcp:organizations/project:Project", { projectId: "k8s-staging-kind", deletionPolicy: "PREVENT" })],
  ["a bucket expiring objects after 1 day", res("gcp:storage/bucket:Bucket", { ...goodBucket, lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 1 } }] }, true)],
  ["a dry-run cleanup the catalog declares (a dedicated gcr.io repository)", res("gcp:artifactregistry/repository:Repository", { ...goodRepo, repositoryId: "gcr.io", location: "us", cleanupPolicyDryRun: true }, true)],
  ["a bucket whose lifecycle is unknown in a preview", res("gcp:storage/bucket:Bucket", { ...goodBucket, lifecycleRules: UNKNOWN }, true)],
];

describe("the rules", () => {
  it.each(BAD)("%s refuses its case (%#)", (rule, resource, fragment) => {
    const found = evaluate([resource], ctx);
    expect(found.map((v) => v.rule)).toEqual([rule]);
    expect(found[0]!.message).toContain(fragment);
  });

  it.each(GOOD)("lets through: %s", (_why, resource) => {
    expect(evaluate([resource], ctx)).toEqual([]);
  });

  it("every rule has a case that breaks it, and the pack's names are the rules' ids", () => {
    expect(new Set(BAD.map(([rule]) => rule))).toEqual(new Set(RULES.map((r) => r.id)));
    expect(RULES).toHaveLength(8);
  });

  it("an extra bucket the catalog keeps on purpose (keepObjects: true) needs no lifecycle rule; any other does", () => {
    const dir = copyBundled();
    const infra = path.join(dir, "infra.yaml");
    const text = fs.readFileSync(infra, "utf8").replace(
      "      k8s-staging-kind:\n",
      "      k8s-staging-kind:\n        buckets:\n          k8s-staging-kind-archive:\n            keepObjects: true\n",
    );
    expect(text).toContain("keepObjects");
    fs.writeFileSync(infra, text);
    const catalog = loadOk(dir);
    const kept = guardContext(catalog, exampleConfig());
    const bucket = res("gcp:storage/bucket:Bucket", { ...goodBucket, name: "k8s-staging-kind-archive", lifecycleRules: undefined }, true, "k8s-staging-kind-archive");
    expect(evaluate([bucket], kept)).toEqual([]);
    expect(evaluate([bucket], ctx).map((v) => v.rule)).toEqual(["stores-expire"]);
    expect(evaluate(guardResources(toPlan(build(catalog))), kept)).toEqual([]);
  });
});

function runPolicy(args: string[]) {
  return spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/policy.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8" });
}

describe("npm run policy (offline)", () => {
  it("the example estate: no violation, exit 0", () => {
    const r = runPolicy([]);
    expect(r.stdout).toMatch(/^policy: \d+ resources of stack example, no violation$/m);
    expect(r.status).toBe(0);
  });

  it("the real sample (migrated, its genuine group and manifest defects repaired): no violation", () => {
    const sample = copySample();
    const migrated = runMigrate(sample);
    expect(migrated.status, migrated.stderr).toBe(0);
    repairGroups(sample);
    removeStalePromotions(sample, PROD_POLICY);
    const config = readStackConfigFile(REPO_ROOT, "prod");
    const { catalog, problems } = loadCatalog(sample, policyOf(config, "prod"), K8SIO);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const plan = toPlan(buildEstate(catalog!, config, "prod"));
    expect(plan.resources.length).toBeGreaterThan(5000);
    expect(evaluate(guardResources(plan), guardContext(catalog!, config))).toEqual([]);
  });

  it("a catalog grant that breaks a rule: each violation on one line with the resource and the rule, exit 4", () => {
    const dir = copyBundled();
    const infra = path.join(dir, "infra.yaml");
    fs.writeFileSync(
      infra,
      fs.readFileSync(infra, "utf8").replace("      k8s-staging-kueue:\n", "      k8s-staging-kueue:\n        iam:\n          - role: roles/editor\n            members: [group:k8s-infra-staging-kind@example.com]\n"),
    );
    const r = runPolicy(["--catalog", dir]);
    expect(r.stdout).toContain(
      "k8s-staging-kueue/roles/editor/group:k8s-infra-staging-kind@example.com (gcp:projects/iAMMember:IAMMember): owner-and-editor-only-release-admins: group:k8s-infra-staging-kind@example.com gets roles/editor on project k8s-staging-kueue;",
    );
    expect(r.stdout).toMatch(/^policy: 2 violations of 2 rules in \d+ resources of stack example$/m);
    expect(r.stdout).toContain("writers-write-only-their-own: writers group group:k8s-infra-staging-kind@example.com gets roles/editor on project k8s-staging-kueue; it may write only its own project k8s-staging-kind");
    expect(r.status).toBe(4);
  });

  it("a catalog error: the validator's message, exit 1, no policy verdict", () => {
    const dir = copyBundled();
    fs.writeFileSync(path.join(dir, "infra.yaml"), "infra:\n  staging:\n    projects:\n      bad_id: {}\n");
    const r = runPolicy(["--catalog", dir]);
    expect(r.stderr).toContain('project id "bad_id"');
    expect(r.stdout).toContain("the policy is not checked");
    expect(r.status).toBe(1);
  });

  it("a bad flag is a usage error, exit 2", () => {
    const r = runPolicy(["--plan", "x.json"]);
    expect(r.stderr).toContain("unknown flag --plan");
    expect(r.status).toBe(2);
  });
});

function runMigrate(sample: string) {
  return spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/migrate.ts"), "--terraform", path.join(sample, TERRAFORM), "--write"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
}

describe("the policy pack under the engine's analyzer protocol", () => {
  let pack: RunningPack;
  beforeAll(async () => {
    pack = await startPack("example");
  }, 120_000);
  afterAll(async () => {
    await pack?.close();
  });

  it("serves every rule as a mandatory policy of pack k8s-infra-staging", async () => {
    const info = await pack.info();
    expect(info.getName()).toBe("k8s-infra-staging");
    expect(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()])).toEqual(RULES.map((r) => [r.id, 1 /* MANDATORY */]));
  });

  it("what the program registers under the engine stand-in, in a preview and in an update, passes every policy", async () => {
    for (const dryRun of [true, false]) {
      const run = await runProgram({ stack: "example", dryRun });
      expect(run.status, run.stderr).toBe(0);
      const custom = run.engine.registrations.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
      expect(custom.length).toBeGreaterThan(300);
      const diagnostics = [];
      for (const r of custom) diagnostics.push(...(await pack.analyze({ type: r.type, name: r.name, urn: r.urn, props: r.inputs, protect: r.protect })));
      expect(diagnostics, `dryRun ${String(dryRun)}`).toEqual([]);
    }
  }, 180_000);

  it("a resource that breaks a rule gets that policy's mandatory violation with the rule's message", async () => {
    for (const [rule, resource, fragment] of BAD) {
      const props = JSON.parse(JSON.stringify(resource.props, (_k, v: unknown) => (v === undefined ? undefined : v))) as Record<string, unknown>;
      if (resource.props.member === UNKNOWN) props.member = UNKNOWN_INPUT;
      const diagnostics = await pack.analyze({ type: resource.type, name: resource.name, urn: resource.urn, props, protect: resource.protect ?? true });
      expect(diagnostics.map((d) => d.policyName), `${rule}: ${fragment}`).toEqual([rule]);
      expect(diagnostics[0]!.message).toContain(fragment);
      expect(diagnostics[0]!.enforcementLevel).toBe(1);
    }
  });

  it("a pack whose stack names no readable catalog blocks everything with one clear reason", async () => {
    const broken = await startPack("example", { config: { "k8s-infra-staging:catalogRoot": "no-such-folder" } });
    try {
      const [d, ...rest] = await broken.analyze({ type: "gcp:organizations/project:Project", name: "p", urn: "urn:p", props: { deletionPolicy: "PREVENT" }, protect: true });
      expect(rest.length).toBe(RULES.length - 1);
      expect(d!.message).toContain("the guardrails cannot read the stack's catalog, so nothing can be checked: the catalog root of stack example, no-such-folder");
    } finally {
      await broken.close();
    }
  }, 120_000);
});
