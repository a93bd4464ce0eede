import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { formatProblem } from "../src/catalog/problems";
import { readStackConfigFile } from "../src/config";
import { buildEstate, type Estate } from "../src/estate/estate";
import { toPlan, type Plan, type PlanResource } from "../src/estate/plan";
import { copySample, INFRA_FILE, K8SIO, MISSING_GROUPS, MISSING_SHARED_GROUPS, removeStalePromotions, repairGroups, SAMPLE, TERRAFORM } from "./fixtures/k8sio/sample";
import { T } from "./fixtures/estate/support";
import { PROD_POLICY, REPO_ROOT, tempDir } from "./helpers";

/**
 * The prod stack on the real upstream repository (the sample, copied): the Terraform of the
 * shared projects migrated into infra.yaml with upstream's special cases, the stale promotions
 * removed and the missing writers groups added; then planned as `npm run plan -- --stack prod` does.
 */

const config = readStackConfigFile(REPO_ROOT, "prod");
const hcl = createRequire(__filename)("@cdktf/hcl2json") as { parse(name: string, text: string): Promise<Record<string, unknown>> };

function run(script: string, ...args: string[]) {
  const r = spawnSync("npx", ["tsx", `src/cli/${script}.ts`, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let root: string;
let migrateOut: ReturnType<typeof run>;
let errorsBeforeRepair: string[];
let removed: string[];
let estate: Estate;
let plan: Plan;
let cliPlan: Plan;
let cliStatus: number | null;
let tf: { registries: Record<string, string>; excluded: string[] };

const resource = (type: string, name: string): PlanResource => {
  const r = plan.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`the plan has no ${type} ${name}`);
  return r;
};
const ofType = (type: string) => plan.resources.filter((r) => r.type === type);

beforeAll(async () => {
  root = copySample();
  migrateOut = run("migrate", "--terraform", path.join(root, TERRAFORM), "--write");
  errorsBeforeRepair = loadCatalog(root, PROD_POLICY, K8SIO).problems.filter((p) => p.severity === "error").map(formatProblem);
  repairGroups(root);
  removed = removeStalePromotions(root, PROD_POLICY);
  const result = loadCatalog(root, PROD_POLICY, K8SIO);
  const errors = result.problems.filter((p) => p.severity === "error");
  if (!result.catalog) throw new Error(errors.map(formatProblem).join("\n"));
  estate = buildEstate(result.catalog, config, "prod");
  plan = toPlan(estate);
  const out = path.join(tempDir("plan-"), "plan.json");
  const cli = run("plan", "--stack", "prod", "--catalog", root, "--json", out);
  cliStatus = cli.status;
  const { version, ...written } = JSON.parse(fs.readFileSync(out, "utf8")) as Plan & { version: unknown };
  if (version !== 1) throw new Error(`plan file version ${String(version)}`);
  cliPlan = written;

  // What the Terraform declares, read with HashiCorp's parser independently of the migration code.
  const registries = (await hcl.parse("registries.tf", fs.readFileSync(path.join(SAMPLE, TERRAFORM, "registries.tf"), "utf8"))) as {
    locals: { registries: Record<string, string>; registries_excluded_from_cleanup: string[] }[];
  };
  tf = { registries: registries.locals[0]!.registries, excluded: registries.locals[0]!.registries_excluded_from_cleanup };
}, 120_000);

describe("the real estate, from the upstream files as they are", () => {
  it("migrate --write puts the Terraform projects and the script's special cases into infra/gcp/infra.yaml", () => {
    expect(migrateOut.status).toBe(0);
    expect(migrateOut.stdout).toContain("2 projects, 39 repositories from 5 Terraform files; 12 special cases of ensure-staging-storage.sh");
    expect(migrateOut.stdout).toMatch(/inserted 2 projects into .*infra\/gcp\/infra\.yaml at line \d+; wrote the special cases of k8s-staging-artifact-promoter, /);
  });

  it("the writers groups missing from the sample's groups files are genuine errors, each at its infra.yaml line", () => {
    const missing = errorsBeforeRepair.filter((e) => e.includes("has no entry in groups/**/groups.yaml"));
    const owners = missing.map((e) => /of (k8s-staging-[a-z0-9/-]+) has no entry/.exec(e)?.[1]);
    expect(owners.sort()).toEqual(
      [...MISSING_GROUPS.map((n) => `k8s-staging-${n}`), ...MISSING_SHARED_GROUPS.map((n) => `k8s-staging-images/${n}`)].sort(),
    );
    for (const e of missing) expect(e.startsWith(`${INFRA_FILE}:`)).toBe(true);
  });

  it("after the repairs it validates, and the CLI writes exactly the in-process plan (exit 0)", () => {
    expect(removed.length).toBeGreaterThan(20);
    expect(cliStatus).toBe(0);
    expect(cliPlan).toEqual(plan);
  });

  it("declares the 91 dedicated projects, k8s-staging-images with its 38 repositories, and k8s-staging-kubernetes", () => {
    const dedicated = estate.projects.filter((p) => p.kind === "dedicated");
    expect(dedicated).toHaveLength(91);
    expect(estate.projects.filter((p) => p.kind === "shared").map((p) => p.id)).toEqual(["k8s-staging-images", "k8s-staging-kubernetes"]);
    expect(ofType(T.project)).toHaveLength(93);
    const images = estate.projects.find((p) => p.id === "k8s-staging-images")!;
    expect(images.repositories.map((r) => r.name)).toEqual(Object.keys(tf.registries).sort());
    expect(images.repositories).toHaveLength(38);
  });
});

describe("k8s-staging-images, repository by repository against registries.tf", () => {
  it("each repository: us-central1, DOCKER, the 90-day cleanup, dry run exactly where Terraform excludes it", () => {
    for (const repo of Object.keys(tf.registries)) {
      const r = resource(T.repository, `k8s-staging-images/${repo}`);
      expect(r.inputs).toMatchObject({
        project: "k8s-staging-images",
        location: "us-central1",
        repositoryId: repo,
        format: "DOCKER",
        cleanupPolicyDryRun: tf.excluded.includes(repo),
        cleanupPolicies: [{ id: "delete-images-older-than-90-days", action: "DELETE", condition: { tagState: "ANY", olderThan: "7776000s" } }],
      });
      expect(r.protect).toBe(true);
    }
  });

  it("each repository: readers allUsers, the writer Terraform names, and that writer is a project viewer", () => {
    for (const [repo, writer] of Object.entries(tf.registries)) {
      const writers = ofType(T.repositoryIam).filter((g) => g.name.startsWith(`k8s-staging-images/${repo}/roles/artifactregistry.writer/group:`));
      expect(writers.map((g) => g.inputs.member)).toEqual([writer]);
      expect(resource(T.repositoryIam, `k8s-staging-images/${repo}/roles/artifactregistry.reader/allUsers`).inputs.member).toBe("allUsers");
      expect(resource(T.projectIam, `k8s-staging-images/roles/viewer/${writer}`).inputs).toEqual({ project: "k8s-staging-images", role: "roles/viewer", member: writer });
    }
  });

  it("the project grants of iam.tf and the -gcb bucket of buckets.tf", () => {
    expect(resource(T.projectIam, "k8s-staging-images/roles/owner/group:k8s-infra-release-admins@kubernetes.io").inputs.role).toBe("roles/owner");
    expect(resource(T.projectIam, `k8s-staging-images/roles/cloudbuild.builds.editor/serviceAccount:${config.ciBuilderServiceAccount}`).inputs.role).toBe(
      "roles/cloudbuild.builds.editor",
    );
    const admins = ofType(T.bucketIam)
      .filter((g) => g.inputs.bucket === "k8s-staging-images-gcb" && g.inputs.role === "roles/storage.admin")
      .map((g) => g.inputs.member);
    expect(admins.sort()).toEqual(
      [
        "serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com",
        "principalSet://iam.googleapis.com/projects/180382678033/locations/global/workloadIdentityPools/k8s-infra-prow-build-trusted.svc.id.goog/namespace/test-pods",
        "principalSet://cloudresourcemanager.googleapis.com/projects/787629567722/type/ServiceAccount",
      ].sort(),
    );
    expect(resource(T.bucket, "k8s-staging-images-gcb").inputs.lifecycleRules).toEqual([{ action: { type: "Delete" }, condition: { age: 90 } }]);
  });
});

describe("k8s-staging-kubernetes, against kubernetes.tf", () => {
  it("a project in folder 713040427754 holding one gcr.io repository in us, pushed by its Cloud Build account", () => {
    expect(resource(T.project, "k8s-staging-kubernetes").inputs).toMatchObject({ projectId: "k8s-staging-kubernetes", folderId: "713040427754", autoCreateNetwork: true });
    expect(resource(T.project, "k8s-staging-kubernetes").inputs).not.toHaveProperty("orgId");
    expect(resource(T.repository, "k8s-staging-kubernetes/gcr.io").inputs).toMatchObject({ location: "us", repositoryId: "gcr.io", format: "DOCKER", cleanupPolicyDryRun: false });
    const writers = ofType(T.repositoryIam).filter((g) => g.name.startsWith("k8s-staging-kubernetes/gcr.io/roles/artifactregistry.writer/"));
    expect(writers.map((g) => g.inputs.member)).toEqual(["serviceAccount:304687256732@cloudbuild.gserviceaccount.com"]);
    expect(estate.projects.find((p) => p.id === "k8s-staging-kubernetes")?.registries).toEqual(["gcr.io/k8s-staging-kubernetes"]);
  });

  it("no bucket and no build account, which the Terraform does not declare", () => {
    expect(ofType(T.bucket).filter((b) => b.inputs.project === "k8s-staging-kubernetes")).toEqual([]);
    expect(ofType(T.account).filter((a) => a.inputs.project === "k8s-staging-kubernetes")).toEqual([]);
  });

  it("its own project grants (kubernetes_iam)", () => {
    const grants = ofType(T.projectIam)
      .filter((g) => g.inputs.project === "k8s-staging-kubernetes")
      .map((g) => `${g.inputs.role} ${g.inputs.member}`);
    expect(grants).toEqual(
      expect.arrayContaining([
        "roles/cloudbuild.builds.editor serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com",
        "roles/cloudbuild.builds.editor serviceAccount:615281671549@cloudbuild.gserviceaccount.com",
        "roles/owner group:k8s-infra-release-admins@kubernetes.io",
        "roles/viewer group:k8s-infra-release-editors@kubernetes.io",
        "roles/viewer group:k8s-infra-release-viewers@kubernetes.io",
      ]),
    );
  });
});

describe("declarations the real cloud accepts, visible in the plan", () => {
  it("every project keeps autoCreateNetwork true; Compute only where upstream enables it", () => {
    for (const p of ofType(T.project)) expect(p.inputs.autoCreateNetwork).toBe(true);
    const compute = ofType(T.service).filter((s) => s.inputs.service === "compute.googleapis.com").map((s) => s.inputs.project);
    expect(compute.sort()).toEqual(["k8s-staging-cluster-api-gcp", "k8s-staging-sig-storage"]);
  });

  it("artifact admins have repoAdmin on every staging repository", () => {
    const repos = ofType(T.repository).map((r) => r.name);
    const admin = `group:${config.artifactAdminsGroup}`;
    for (const name of repos) expect(resource(T.repositoryIam, `${name}/roles/artifactregistry.repoAdmin/${admin}`).inputs.member).toBe(admin);
    expect(repos).toHaveLength(91 * 2 + 38 + 1);
  });

  it("every dedicated project's -gcb bucket is public-read; image builders and repository build accounts may mint their own tokens", () => {
    for (const p of estate.projects.filter((x) => x.kind === "dedicated")) {
      expect(resource(T.bucketIam, `${p.id}-gcb/roles/storage.objectViewer/allUsers`).inputs.member).toBe("allUsers");
    }
    const builders = ofType(T.account).filter((a) => a.name.endsWith("/gcb-image-builder") || a.name.endsWith("-sa"));
    expect(builders).toHaveLength(91 + 38);
    for (const a of builders) expect(resource(T.accountIam, `${a.name}/roles/iam.serviceAccountTokenCreator/self`).inputs.role).toBe("roles/iam.serviceAccountTokenCreator");
    // upstream's gcb-builder-<name> accounts (ensure_staging_gcb_builder_service_account) get no token grant
    expect(plan.resources.some((r) => r.name === "k8s-staging-releng-test/gcb-builder-releng-test/roles/iam.serviceAccountTokenCreator/self")).toBe(false);
  });

  it("every declared group is followed by its bounded wait, and grants to it wait for that", () => {
    const groups = ofType(T.group);
    expect(groups.length).toBeGreaterThan(100);
    for (const g of groups) {
      const sleep = resource(T.sleep, `${g.name}/iam-propagation`);
      expect(sleep.dependsOn).toEqual([g.urn]);
      for (const grant of plan.resources.filter((r) => r.inputs.member === `group:${g.name}`)) expect(grant.dependsOn).toContain(sleep.urn);
    }
  });

  it("upstream's special cases are in the plan", () => {
    expect(resource(T.bucket, "k8s-artifacts-system-packages-sandbox").inputs.project).toBe("k8s-staging-experimental");
    expect(resource(T.account, "k8s-staging-releng-test/gcb-builder-releng-test").inputs.accountId).toBe("gcb-builder-releng-test");
    expect(resource(T.projectIam, "k8s-staging-kustomize/roles/cloudkms.cryptoKeyDecrypter/serviceAccount:660796270509@cloudbuild.gserviceaccount.com").inputs.role).toBe(
      "roles/cloudkms.cryptoKeyDecrypter",
    );
    const vuln = ofType(T.projectIam).filter((g) => g.inputs.role === "roles/containeranalysis.occurrences.viewer");
    expect(vuln).toHaveLength(91);
  });
});

describe("what the review of the real estate asked for", () => {
  it("the shared -gcb bucket keeps object versions, as upstream's simple_bucket module does", () => {
    expect(resource(T.bucket, "k8s-staging-images-gcb").inputs.versioning).toEqual({ enabled: true });
  });

  it("writers groups and service accounts are protected: deleting one is a protected deletion", () => {
    for (const r of [...ofType(T.group), ...ofType(T.account)]) expect(r.protect, r.urn).toBe(true);
  });

  it("the groups use the Cloud Identity provider with the quota project; nothing else does", () => {
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:gcp")!;
    expect(provider.inputs).toEqual({ userProjectOverride: true, billingProject: "k8s-gsuite" });
    const users = plan.resources.filter((r) => r.provider !== undefined);
    expect(new Set(users.map((r) => r.type))).toEqual(new Set([T.group, "gcp:cloudidentity/groupMembership:GroupMembership"]));
    for (const r of users) expect(r.provider).toBe(provider.urn);
  });
});

describe("import-spec on the real estate (prod stack, upstream layout)", () => {
  type ImportFile = import("../src/adopt/import-spec").ImportFile;
  let all: ImportFile;
  let shared: ImportFile;
  let status: number | null;
  beforeAll(() => {
    const dir = tempDir("import-");
    const r = run("import-spec", "--stack", "prod", "--catalog", root, "--out", path.join(dir, "all.json"));
    status = r.status;
    all = JSON.parse(fs.readFileSync(path.join(dir, "all.json"), "utf8")) as ImportFile;
    run("import-spec", "--stack", "prod", "--catalog", root, "--only", "k8s-staging-images", "k8s-staging-kubernetes", "--out", path.join(dir, "shared.json"));
    shared = JSON.parse(fs.readFileSync(path.join(dir, "shared.json"), "utf8")) as ImportFile;
  }, 120_000);
  const id = (f: ImportFile, type: string, name: string) => f.resources.find((r) => r.type === type && r.logicalName === name)?.id;

  it("every declaration is imported, looked up or created by pulumi up, exactly once, at the plan's URNs", () => {
    expect(status).toBe(0);
    const urns = new Set(plan.resources.map((r) => r.urn));
    const custom = all.resources.filter((r) => !r.component).length;
    const components = all.resources.length - custom;
    expect(custom + components + all.unresolved.length + all.created.length).toBe(urns.size);
    for (const c of all.created) expect(urns.has(c.urn), c.urn).toBe(true);
    for (const u of all.unresolved) expect(urns.has(u.urn), u.urn).toBe(true);
    expect(components).toBe(93);
  });

  it("literal ids of the real estate: bash-made, Terraform-made and the kubernetes gcr.io repository", () => {
    expect(id(all, T.repository, "k8s-staging-kind/gcr.io")).toBe("projects/k8s-staging-kind/locations/us/repositories/gcr.io");
    expect(id(all, T.repository, "k8s-staging-kind/images")).toBe("projects/k8s-staging-kind/locations/us-central1/repositories/images");
    expect(id(all, T.bucket, "k8s-staging-kind-gcb")).toBe("k8s-staging-kind/k8s-staging-kind-gcb");
    expect(id(all, T.repository, "k8s-staging-images/kro")).toBe("projects/k8s-staging-images/locations/us-central1/repositories/kro");
    expect(id(all, T.repository, "k8s-staging-kubernetes/gcr.io")).toBe("projects/k8s-staging-kubernetes/locations/us/repositories/gcr.io");
    expect(id(all, T.project, "k8s-staging-kubernetes")).toBe("k8s-staging-kubernetes");
    expect(id(all, T.repositoryIam, "k8s-staging-kubernetes/gcr.io/roles/artifactregistry.writer/serviceAccount:304687256732@cloudbuild.gserviceaccount.com")).toBe(
      "projects/k8s-staging-kubernetes/locations/us/repositories/gcr.io roles/artifactregistry.writer serviceAccount:304687256732@cloudbuild.gserviceaccount.com",
    );
    expect(id(all, T.bucketIam, "k8s-staging-images-gcb/roles/storage.admin/serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com")).toBe(
      "b/k8s-staging-images-gcb roles/storage.admin serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com",
    );
  });

  it("--only the two Terraform projects: exactly their resources; their build accounts are left for pulumi up", () => {
    const under = (u: string) => /SharedStagingProject(\$[^:]+:[^:]+:[^:]+)?::k8s-staging-(images|kubernetes)/.test(u) || /SharedStagingProject\$/.test(u);
    expect(shared.created.every((c) => under(c.urn))).toBe(true);
    expect(shared.resources.filter((r) => r.component).map((r) => r.logicalName).sort()).toEqual(["k8s-staging-images", "k8s-staging-kubernetes"]);
    expect(shared.unresolved).toEqual([]);
    const accounts = shared.created.filter((c) => c.type === T.account);
    expect(accounts.length).toBe(38);
    expect(shared.resources.some((r) => r.type === T.account)).toBe(false);
  });
});
