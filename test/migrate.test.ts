import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { formatProblem, Problems } from "../src/catalog/problems";
import { readTerraform } from "../src/migrate/terraform";
import { DEFAULTS, toCatalog, type MigrationDefaults, type ProjectEntry } from "../src/migrate/to-catalog";
import { DEFAULT_LAYOUT, planInsertion, readInfraFile, renderEntries, renderFills } from "../src/migrate/write-infra";
import { specialCases } from "../src/migrate/special-cases";
import { readStackConfigFile } from "../src/config";
import { defaultsOf } from "../src/migrate/to-catalog";

/** The real upstream Terraform and infra.yaml (kubernetes/k8s.io), read in place and never written. */
const REPO_ROOT = path.resolve(__dirname, "..");
const SAMPLE = path.resolve(REPO_ROOT, "../shared/k8sio-sample");
const TF = path.join(SAMPLE, "infra/gcp/terraform/k8s-staging-images");
const TF_ARG = path.relative(REPO_ROOT, TF);
const INFRA = path.join(SAMPLE, "infra/gcp/infra.yaml");
const FIXTURES = path.join(__dirname, "fixtures/migrate");

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A Terraform folder holding `files`. */
function tfDir(files: Record<string, string>): string {
  const dir = tempDir("migrate-tf-");
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

async function migrate(dir: string, defaults: MigrationDefaults = DEFAULTS) {
  const problems = new Problems();
  const config = await readTerraform(dir, problems);
  const migration = config ? toCatalog(config, defaults, problems) : undefined;
  const all = problems.sorted().map(formatProblem);
  return {
    migration,
    entries: Object.fromEntries((migration?.projects ?? []).map((p) => [p.id, p.entry])) as Record<string, ProjectEntry>,
    errors: all.filter((l) => l.includes(": error: ")),
    warnings: all.filter((l) => l.includes(": warning: ")),
  };
}

/** Runs `npm run migrate` as a person would (each run costs about two seconds). */
function cli(...args: string[]) {
  const r = spawnSync("npx", ["tsx", "src/cli/migrate.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  const lines = (s: string) => s.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: r.stdout, stderr: lines(r.stderr) };
}

const registriesTf = fs.readFileSync(path.join(TF, "registries.tf"), "utf8");

/** What the sample declares, written out from reading its five files. */
const IMAGES_REPOSITORIES = [
  "agent-sandbox",
  "agentic-net",
  "aws-encryption-provider",
  "charts",
  "cloud-provider-kind",
  "cluster-capacity",
  "cluster-inventory-api",
  "contributor-site",
  "csi-vsphere",
  "dns",
  "dra-driver-cpu",
  "dra-driver-google",
  "dra-driver-nvidia",
  "dra-example-driver",
  "etcd",
  "etcd-manager",
  "gateway-api",
  "gateway-api-inference-extension",
  "headlamp",
  "inference-perf",
  "infra-tools",
  "ingate",
  "ingress-nginx",
  "jobset",
  "karpenter-cluster-api",
  "kind",
  "kro",
  "kubemark",
  "kubernetes",
  "kubespray",
  "kueue",
  "lws",
  "maintainer-tools",
  "mcp-lifecycle-operator",
  "minikube",
  "node-readiness-controller",
  "secrets-store-sync",
  "test-infra",
];

/** Repositories whose writers group is not `k8s-infra-staging-<repo>@kubernetes.io`. */
const OTHER_WRITERS: Record<string, string> = {
  "aws-encryption-provider": "k8s-infra-staging-provider-aws@kubernetes.io",
  charts: "k8s-infra-release-admins@kubernetes.io",
  "cloud-provider-kind": "k8s-infra-staging-kind@kubernetes.io",
  "cluster-inventory-api": "k8s-infra-staging-cluster-inv-api@kubernetes.io",
  "gateway-api-inference-extension": "sig-apps-leads@kubernetes.io",
  "karpenter-cluster-api": "karpenter-cluster-api-leads@kubernetes.io",
  kubemark: "sig-scalability-leads@kubernetes.io",
  "mcp-lifecycle-operator": "k8s-infra-staging-mcp-lifecycle-op@kubernetes.io",
  "node-readiness-controller": "k8s-infra-staging-nrc@kubernetes.io",
};

const DRY_RUN = ["infra-tools", "test-infra"];

const IMAGES: ProjectEntry = {
  iam: [{ role: "roles/owner", members: ["group:k8s-infra-release-admins@kubernetes.io"] }],
  buckets: {
    "k8s-staging-images-gcb": {
      iam: [{ role: "roles/storage.admin", members: ["principalSet://cloudresourcemanager.googleapis.com/projects/787629567722/type/ServiceAccount"] }],
      // simple_bucket keeps object versions unless told otherwise
      versioning: true,
    },
  },
  repositories: Object.fromEntries(
    IMAGES_REPOSITORIES.map((r) => [
      r,
      OTHER_WRITERS[r] ? { writers: OTHER_WRITERS[r] } : DRY_RUN.includes(r) ? { cleanup: { dryRun: true as const } } : null,
    ]),
  ),
};

const KUBERNETES: ProjectEntry = {
  folderId: "713040427754",
  iam: [
    { role: "roles/cloudbuild.builds.editor", members: ["serviceAccount:615281671549@cloudbuild.gserviceaccount.com"] },
    { role: "roles/owner", members: ["group:k8s-infra-release-admins@kubernetes.io"] },
    { role: "roles/viewer", members: ["group:k8s-infra-release-editors@kubernetes.io", "group:k8s-infra-release-viewers@kubernetes.io"] },
  ],
  buildBucket: false,
  repositories: {
    "gcr.io": { writerAccounts: ["304687256732@cloudbuild.gserviceaccount.com"], location: "us", buildAccount: false },
  },
};

const SAMPLE_WARNINGS = [
  `registries.tf:64:5: warning: local.registries_excluded_from_cleanup lists "boskos", which is not one of the repositories of module "artifact_registry" (for_each = local.registries); it is ignored`,
];

/** The entries as printed and inserted under infra.staging.projects of the sample's infra.yaml. */
const SAMPLE_BLOCK = [
  "      k8s-staging-images:",
  "        iam:",
  "          - role: roles/owner",
  "            members:",
  "              - group:k8s-infra-release-admins@kubernetes.io",
  "        buckets:",
  "          k8s-staging-images-gcb:",
  "            iam:",
  "              - role: roles/storage.admin",
  "                members:",
  "                  - principalSet://cloudresourcemanager.googleapis.com/projects/787629567722/type/ServiceAccount",
  "            versioning: true",
  "        repositories:",
  "          agent-sandbox:",
  "          agentic-net:",
  "          aws-encryption-provider:",
  "            writers: k8s-infra-staging-provider-aws@kubernetes.io",
  "          charts:",
  "            writers: k8s-infra-release-admins@kubernetes.io",
  "          cloud-provider-kind:",
  "            writers: k8s-infra-staging-kind@kubernetes.io",
  "          cluster-capacity:",
  "          cluster-inventory-api:",
  "            writers: k8s-infra-staging-cluster-inv-api@kubernetes.io",
  "          contributor-site:",
  "          csi-vsphere:",
  "          dns:",
  "          dra-driver-cpu:",
  "          dra-driver-google:",
  "          dra-driver-nvidia:",
  "          dra-example-driver:",
  "          etcd:",
  "          etcd-manager:",
  "          gateway-api:",
  "          gateway-api-inference-extension:",
  "            writers: sig-apps-leads@kubernetes.io",
  "          headlamp:",
  "          inference-perf:",
  "          infra-tools:",
  "            cleanup:",
  "              dryRun: true",
  "          ingate:",
  "          ingress-nginx:",
  "          jobset:",
  "          karpenter-cluster-api:",
  "            writers: karpenter-cluster-api-leads@kubernetes.io",
  "          kind:",
  "          kro:",
  "          kubemark:",
  "            writers: sig-scalability-leads@kubernetes.io",
  "          kubernetes:",
  "          kubespray:",
  "          kueue:",
  "          lws:",
  "          maintainer-tools:",
  "          mcp-lifecycle-operator:",
  "            writers: k8s-infra-staging-mcp-lifecycle-op@kubernetes.io",
  "          minikube:",
  "          node-readiness-controller:",
  "            writers: k8s-infra-staging-nrc@kubernetes.io",
  "          secrets-store-sync:",
  "          test-infra:",
  "            cleanup:",
  "              dryRun: true",
  "      k8s-staging-kubernetes:",
  '        folderId: "713040427754"',
  "        iam:",
  "          - role: roles/cloudbuild.builds.editor",
  "            members:",
  "              - serviceAccount:615281671549@cloudbuild.gserviceaccount.com",
  "          - role: roles/owner",
  "            members:",
  "              - group:k8s-infra-release-admins@kubernetes.io",
  "          - role: roles/viewer",
  "            members:",
  "              - group:k8s-infra-release-editors@kubernetes.io",
  "              - group:k8s-infra-release-viewers@kubernetes.io",
  "        buildBucket: false",
  "        repositories:",
  "          gcr.io:",
  "            writerAccounts:",
  "              - 304687256732@cloudbuild.gserviceaccount.com",
  "            location: us",
  "            buildAccount: false",
  "",
].join("\n");

const SUMMARY = "2 projects, 39 repositories from 5 Terraform files; 12 special cases of ensure-staging-storage.sh\n";

/** Upstream's special cases, as printed after the Terraform entries. */
const SPECIAL = [...specialCases()].map(([id, c]) => ({ id, entry: c.entry }));
const SPECIAL_BLOCK =
  "      # upstream's special cases (infra/gcp/bash/ensure-staging-storage.sh), in their existing entries:\n" + renderFills(SPECIAL, DEFAULT_LAYOUT);
/** Lines the special cases add under their (empty) keys in infra.yaml. */
const SPECIAL_LINES = renderFills(SPECIAL, DEFAULT_LAYOUT).split("\n").filter((l) => l !== "").length - SPECIAL.length;
const SPECIAL_NAMES = SPECIAL.map((c) => c.id).join(", ");

/** `original`'s lines appear in `after` in order, and nothing else was removed. */
function keepsEveryLine(original: string, after: string): boolean {
  const a = after.split("\n");
  let i = 0;
  for (const line of original.split("\n")) {
    while (i < a.length && a[i] !== line) i++;
    if (i === a.length) return false;
    i++;
  }
  return true;
}

describe("the real sample (k8s-staging-images Terraform)", () => {
  it("gives exactly the two shared staging projects, with only what differs from the defaults", async () => {
    const r = await migrate(TF);
    expect(r.errors).toEqual([]);
    expect(r.migration?.projects.map((p) => p.id)).toEqual(["k8s-staging-images", "k8s-staging-kubernetes"]);
    expect(r.entries["k8s-staging-images"]).toEqual(IMAGES);
    expect(r.entries["k8s-staging-kubernetes"]).toEqual(KUBERNETES);
    expect(r.migration?.repositories).toBe(39);
    expect(r.migration?.files).toBe(5);
  });

  it("has one repository per entry of local.registries: 38, in order", async () => {
    const groupLines = registriesTf.split("\n").filter((l) => /^\s+[a-z0-9-]+\s+= "group:/.test(l));
    expect(groupLines).toHaveLength(38);
    expect(IMAGES_REPOSITORIES).toHaveLength(38);
    const { entries } = await migrate(TF);
    expect(Object.keys(entries["k8s-staging-images"]!.repositories)).toEqual(IMAGES_REPOSITORIES);
    expect(Object.keys(entries["k8s-staging-images"]!.repositories)).toEqual([...IMAGES_REPOSITORIES].sort());
  });

  it("keeps a writers group only where registries.tf departs from k8s-infra-staging-<repo>@kubernetes.io", async () => {
    const { entries } = await migrate(TF);
    const repos = entries["k8s-staging-images"]!.repositories;
    const withWriters = Object.entries(repos).filter(([, r]) => r?.writers !== undefined);
    expect(Object.fromEntries(withWriters.map(([id, r]) => [id, r!.writers]))).toEqual(OTHER_WRITERS);
    // Each is the group registries.tf gives that repository.
    for (const [repo, group] of Object.entries(OTHER_WRITERS)) expect(registriesTf).toMatch(new RegExp(`\\n\\s+${repo}\\s+= "group:${group}"`));
    const dryRun = Object.entries(repos).filter(([, r]) => r?.cleanup?.dryRun === true).map(([id]) => id);
    expect(dryRun).toEqual(["infra-tools", "test-infra"]);
  });

  it("warns about boskos (excluded from cleanup but no repository) and what the program does differently", async () => {
    const { warnings } = await migrate(TF);
    expect(warnings).toEqual(SAMPLE_WARNINGS);
    expect(registriesTf.split("\n")[63]).toBe('    "boskos"');
  });

  it("npm run migrate prints the entries as they would be inserted, then the summary; exit 0", () => {
    const r = cli("--terraform", TF_ARG);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(SAMPLE_BLOCK + SPECIAL_BLOCK + SUMMARY);
    expect(r.stderr).toEqual(SAMPLE_WARNINGS);
  });

  it("the defaults are the prod stack's configuration", () => {
    expect(defaultsOf(readStackConfigFile(REPO_ROOT, "prod"))).toEqual(DEFAULTS);
  });

  it("the printed special cases read back as upstream's entries", () => {
    const parsed = parseYaml(SPECIAL_BLOCK.replace(/^ {6}/gm, "")) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(SPECIAL.map((c) => c.id));
    expect(parsed["k8s-staging-ci-images"]).toEqual({
      release: true,
      gcrIam: [{ role: "roles/artifactregistry.writer", members: ["serviceAccount:prow-build@k8s-infra-prow-build.iam.gserviceaccount.com"] }],
    });
    expect(parsed["k8s-staging-sig-storage"]).toEqual({ services: ["compute.googleapis.com", "oslogin.googleapis.com"] });
  });

  it("the printed YAML reads back as the entries", () => {
    const parsed = parseYaml(SAMPLE_BLOCK.replace(/^ {6}/gm, "")) as Record<string, unknown>;
    expect(parsed).toEqual({ "k8s-staging-images": IMAGES, "k8s-staging-kubernetes": KUBERNETES });
  });

  it("takes the stack defaults from flags", async () => {
    const r = await migrate(TF, { ...DEFAULTS, stagingRegion: "us", repositoryRetentionDays: 30, sharedBuildBucketRetentionDays: 60 });
    expect(r.errors).toEqual([]);
    const images = r.entries["k8s-staging-images"]!;
    expect(images.repositories["kind"]).toEqual({ location: "us-central1", cleanup: { olderThanDays: 90 } });
    expect(images.repositories["infra-tools"]).toEqual({ location: "us-central1", cleanup: { olderThanDays: 90, dryRun: true } });
    expect(images.buckets?.["k8s-staging-images-gcb"]?.retentionDays).toBe(90);
    expect(r.entries["k8s-staging-kubernetes"]!.repositories["gcr.io"]).toEqual({
      writerAccounts: ["304687256732@cloudbuild.gserviceaccount.com"],
      buildAccount: false,
      cleanup: { olderThanDays: 90 },
    });
  });
});

/** A minimal shared project; `registry` attributes replace the defaults by name. */
function project(extra = ""): string {
  return [
    `module "project" {`,
    `  source          = "terraform-google-modules/project-factory/google"`,
    `  project_id      = "k8s-staging-demo"`,
    `  org_id          = "758905017065"`,
    `  billing_account = "018801-93540E-22A20E"`,
    extra,
    `}`,
    ``,
  ].join("\n");
}

function registry(overrides: Record<string, string> = {}, name = "registry"): string {
  const attrs: Record<string, string> = {
    source: `"GoogleCloudPlatform/artifact-registry/google"`,
    project_id: "module.project.project_id",
    location: `"us-central1"`,
    format: `"DOCKER"`,
    repository_id: `"demo"`,
    members: `{\n    readers = ["allUsers"]\n    writers = ["group:k8s-infra-staging-demo@kubernetes.io"]\n  }`,
    cleanup_policies: `{\n    "delete" = {\n      action    = "DELETE"\n      condition = { older_than = "7776000s" }\n    }\n  }`,
    ...overrides,
  };
  const body = Object.entries(attrs)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `  ${k} = ${v}`);
  return [`module "${name}" {`, ...body, `}`, ``].join("\n");
}

const GRANTS = `module "iam" {
  source   = "terraform-google-modules/iam/google//modules/projects_iam"
  projects = [module.project.project_id]
  bindings = {
    "roles/cloudbuild.builds.editor" = ["serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com"]
    "roles/viewer" = ["group:k8s-infra-staging-demo@kubernetes.io"]
  }
}
`;

describe("reading Terraform", () => {
  it("a minimal shared project is one entry of defaults, with no -gcb bucket", async () => {
    const r = await migrate(tfDir({ "main.tf": project() + registry() + GRANTS }));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.entries).toEqual({ "k8s-staging-demo": { buildBucket: false, repositories: { demo: null } } });
  });

  it("an unknown module source in a migrated project is an error naming the file and module (fixture)", async () => {
    const r = await migrate(path.join(FIXTURES, "unknown-module"));
    expect(r.migration).toBeUndefined();
    expect(r.errors).toEqual([
      `extra.tf:2:1: error: module "service_accounts" (source "terraform-google-modules/service-accounts/google") is not understood, and it declares resources in a migrated project (it names module.project); migrate it by hand or remove it first`,
    ]);
    expect(r.warnings[0]).toBe(`extra.tf:9:1: warning: module "elsewhere" (source "terraform-google-modules/service-accounts/google") is not read: it names no migrated project`);
  });

  it("a resource block in a migrated project is an error too", async () => {
    const r = await migrate(
      tfDir({ "main.tf": project() + registry() + GRANTS, "sa.tf": `resource "google_service_account" "pusher" {\n  project    = "k8s-staging-demo"\n  account_id = "pusher"\n}\n` }),
    );
    expect(r.errors).toEqual([
      `sa.tf:1:1: error: resource google_service_account.pusher is not understood, and it declares resources in a migrated project (it names k8s-staging-demo); migrate it by hand or remove it first`,
    ]);
  });

  it("an expression outside the subset is an error naming the file, module and expression (fixture)", async () => {
    const r = await migrate(path.join(FIXTURES, "unsupported-expression"));
    expect(r.migration).toBeUndefined();
    expect(r.errors).toEqual([
      `main.tf:11:3: error: module "registry": location = var.region cannot be migrated: var.region is not supported (supported: module.<m>.project_id, local.<name>, each.key, each.value, contains(<list>, <value>) and [for k, v in <map> : v])`,
    ]);
  });

  it("functions, operators and conditionals are not evaluated", async () => {
    const r = await migrate(
      tfDir({
        "main.tf":
          project() +
          registry({ repository_id: `lower("Demo")` }, "a") +
          registry({ repository_id: `"x-\${1 + 2}"` }, "b") +
          registry({ cleanup_policy_dry_run: `local.on ? true : false` }, "c") +
          `locals {\n  on = true\n}\n`,
      }),
    );
    expect(r.errors.map((e) => e.replace(/ \(supported: .*\)$/, ""))).toEqual([
      `main.tf:13:3: error: module "a": repository_id = lower("Demo") cannot be migrated: the function lower() is not supported`,
      `main.tf:30:3: error: module "b": repository_id = "x-\${1 + 2}" cannot be migrated: "+" is not supported`,
      `main.tf:58:3: error: module "c": cleanup_policy_dry_run = local.on ? true : false cannot be migrated: "?" is not supported`,
    ]);
  });

  it("a file the HCL parser rejects is an error with its file name and line (fixture)", async () => {
    const r = await migrate(path.join(FIXTURES, "bad-hcl"));
    expect(r.migration).toBeUndefined();
    expect(r.errors).toEqual([
      "broken.tf:4:12: error: HCL syntax: Invalid expression; Expected the start of an expression, but found an invalid expression token.",
    ]);
  });

  it("another organization or billing account cannot be expressed; a folder becomes folderId", async () => {
    const org = await migrate(tfDir({ "main.tf": project().replace("758905017065", "111") + registry() }));
    expect(org.errors).toEqual([
      "main.tf:4:3: error: module \"project\": project k8s-staging-demo is in organization 111; the stack creates projects in 758905017065 and cannot express another",
    ]);
    const billing = await migrate(tfDir({ "main.tf": project().replace("018801-93540E-22A20E", "AAAAAA-BBBBBB-CCCCCC") + registry() }));
    expect(billing.errors).toEqual([
      "main.tf:5:3: error: module \"project\": project k8s-staging-demo uses billing account AAAAAA-BBBBBB-CCCCCC; the stack attaches 018801-93540E-22A20E and cannot express another",
    ]);
    const folder = await migrate(tfDir({ "main.tf": project().replace(`org_id          = "758905017065"`, `folder_id = "42"`) + registry() + GRANTS }));
    expect(folder.errors).toEqual([]);
    expect(folder.entries["k8s-staging-demo"]?.folderId).toBe("42");
  });

  it("readers other than allUsers, other formats and other kinds of writers are errors naming file and module", async () => {
    const r = await migrate(
      tfDir({
        "main.tf":
          project() +
          registry({ repository_id: `"a"`, members: `{\n    readers = ["group:x@kubernetes.io"]\n    writers = ["group:k8s-infra-staging-a@kubernetes.io"]\n  }` }, "a") +
          registry({ repository_id: `"b"`, format: `"MAVEN"` }, "b") +
          registry({ repository_id: `"c"`, members: `{\n    readers = ["allUsers"]\n    writers = ["user:someone@kubernetes.io"]\n  }` }, "c"),
      }),
    );
    expect(r.errors).toEqual([
      `main.tf:15:5: error: module "a": repository a is read by group:x@kubernetes.io; the catalog's repositories are read by allUsers only`,
      `main.tf:29:3: error: module "b": repository b has format MAVEN; the catalog declares DOCKER repositories only`,
      `main.tf:50:5: error: module "c": repository c is written by user:someone@kubernetes.io; the catalog's writers are one group or service accounts`,
    ]);
  });

  it("reads literal dry run, other retention and regions, extra APIs, extra grants and other buckets", async () => {
    const bucket = `module "logs" {
  source     = "terraform-google-modules/cloud-storage/google//modules/simple_bucket"
  name       = "k8s-staging-demo-logs"
  project_id = module.project.project_id
  location   = "us"
  lifecycle_rules = [{
    action    = { type = "Delete" }
    condition = { age = 30 }
  }]
  iam_members = [{ role = "roles/storage.objectViewer", member = "allUsers" }, { role = "roles/storage.objectAdmin", member = "group:k8s-infra-staging-demo@kubernetes.io" }]
}
`;
    const r = await migrate(
      tfDir({
        "main.tf":
          project(`  activate_apis = ["artifactregistry.googleapis.com", "containeranalysis.googleapis.com"]`) +
          registry({ repository_id: `"demo"`, location: `"europe"`, cleanup_policy_dry_run: "true" }) +
          registry({ repository_id: `"pushed"`, cleanup_policies: `{\n    d = {\n      action    = "DELETE"\n      condition = { older_than = "2592000s" }\n    }\n  }`, members: `{\n    readers = ["allUsers"]\n    writers = ["serviceAccount:b@x.iam.gserviceaccount.com", "serviceAccount:a@x.iam.gserviceaccount.com"]\n  }` }, "pushed") +
          GRANTS.replace(`"roles/viewer" =`, `"roles/storage.admin" = ["user:admin@kubernetes.io"]\n    "roles/viewer" =`) +
          bucket,
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.entries["k8s-staging-demo"]).toEqual({
      services: ["containeranalysis.googleapis.com"],
      iam: [{ role: "roles/storage.admin", members: ["user:admin@kubernetes.io"] }],
      buildBucket: false,
      buckets: {
        "k8s-staging-demo-logs": { iam: [{ role: "roles/storage.objectAdmin", members: ["group:k8s-infra-staging-demo@kubernetes.io"] }], retentionDays: 30, versioning: true, private: false },
      },
      repositories: {
        demo: { location: "europe", cleanup: { dryRun: true } },
        pushed: { writerAccounts: ["a@x.iam.gserviceaccount.com", "b@x.iam.gserviceaccount.com"], cleanup: { olderThanDays: 30 } },
      },
    });
    expect(Object.keys(r.entries["k8s-staging-demo"]!)).toEqual(["services", "iam", "buildBucket", "buckets", "repositories"]);
  });

  it("a grant the program adds that the Terraform lacks is a warning", async () => {
    const r = await migrate(tfDir({ "main.tf": project() + registry() }));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      "main.tf:1:1: warning: project k8s-staging-demo: the program also grants roles/cloudbuild.builds.editor to serviceAccount:gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com, which the Terraform does not",
      "main.tf:1:1: warning: project k8s-staging-demo: the program also grants roles/viewer to group:k8s-infra-staging-demo@kubernetes.io, which the Terraform does not",
    ]);
  });
});

describe("npm run migrate: exit codes", () => {
  it("input problems exit 1 with every problem on stderr and nothing on stdout but the count", () => {
    for (const [fixture, line] of [
      ["unknown-module", `extra.tf:2:1: error: module "service_accounts"`],
      ["unsupported-expression", `main.tf:11:3: error: module "registry": location = var.region cannot be migrated`],
      ["bad-hcl", "broken.tf:4:12: error: HCL syntax: Invalid expression"],
    ] as const) {
      const r = cli("--terraform", path.join(FIXTURES, fixture));
      expect(r.status, fixture).toBe(1);
      expect(r.stderr.filter((l) => l.includes(": error: ")).map((l) => l.slice(0, line.length))).toEqual([line]);
      expect(r.stdout).toMatch(/^1 error, \d+ warnings?; nothing is migrated\n$/);
    }
  });

  it("usage errors exit 2 with the usage: no --terraform, not a folder, a missing --infra file, a bad number", () => {
    const missing = path.join(tempDir("migrate-"), "nowhere");
    const cases: [string[], string][] = [
      [[], "error: --terraform DIR is required"],
      [["--terraform", missing], `error: Terraform folder ${missing} is not a folder`],
      [["--terraform", TF_ARG, "--infra", missing], `error: infra file ${missing} does not exist`],
      [["--terraform", path.join(FIXTURES, "unknown-module"), "--write"], `error: --write needs --infra FILE (${path.join(FIXTURES, "unknown-module")} is not under infra/gcp/terraform/)`],
      [["--terraform", TF_ARG, "--retention", "soon"], `error: --retention must be a whole number of days (at least 1), not "soon"`],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr[0]).toBe(message);
      expect(r.stderr[1]).toMatch(/^usage: npm run migrate -- --terraform DIR /);
      expect(r.stdout).toBe("");
    }
  });
});

describe("--write into a copy of the sample's infra.yaml", () => {
  const original = fs.readFileSync(INFRA, "utf8");
  const copy = () => {
    const file = path.join(tempDir("migrate-infra-"), "infra.yaml");
    fs.writeFileSync(file, original);
    return file;
  };

  it("writes the special cases under their keys and inserts the block after the last staging project, every other line unchanged; a second run changes nothing", () => {
    const file = copy();
    const r = cli("--terraform", TF_ARG, "--infra", file, "--write");
    expect(r.status).toBe(0);
    const line = 394 + SPECIAL_LINES;
    expect(r.stdout).toBe(SAMPLE_BLOCK + SUMMARY + `inserted 2 projects into ${file} at line ${line}; wrote the special cases of ${SPECIAL_NAMES}\n`);
    const after = fs.readFileSync(file, "utf8");
    expect(after.endsWith(SAMPLE_BLOCK)).toBe(true);
    expect(keepsEveryLine(original, after)).toBe(true);
    expect(after.split("\n").length).toBe(original.split("\n").length + SPECIAL_LINES + SAMPLE_BLOCK.split("\n").length - 1);

    const doc = parseYaml(after) as { infra: { staging: { managed_by: string; projects: Record<string, unknown> } } };
    const projects = doc.infra.staging.projects;
    expect(projects["k8s-staging-images"]).toEqual(IMAGES);
    expect(projects["k8s-staging-kubernetes"]).toEqual(KUBERNETES);
    for (const c of SPECIAL) expect(projects[c.id]).toEqual(c.entry);
    expect(projects["k8s-staging-kind"]).toBeNull();
    expect(projects["k8s-staging-gcb-untrusted"]).toEqual({ managed_by: "infra/gcp/bash/ensure-staging-gcb-untrusted.sh" });
    expect(Object.keys(projects).slice(-3)).toEqual(["k8s-staging-gcb-untrusted", "k8s-staging-images", "k8s-staging-kubernetes"]);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["infra.yaml"]);

    const again = cli("--terraform", TF_ARG, "--infra", file, "--write");
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(SUMMARY + `already migrated: k8s-staging-images, k8s-staging-kubernetes are in ${file}; nothing is written\n`);
    expect(fs.readFileSync(file, "utf8")).toBe(after);
  });

  it("refuses a special case whose project already has another entry: exit 1 naming its line, nothing written", () => {
    const file = copy();
    const changed = original.replace("      k8s-staging-kustomize:\n", "      k8s-staging-kustomize:\n        release: true\n");
    fs.writeFileSync(file, changed);
    const r = cli("--terraform", TF_ARG, "--infra", file, "--write");
    expect(r.status).toBe(1);
    const line = changed.split("\n").indexOf("      k8s-staging-kustomize:") + 1;
    expect(r.stderr.filter((l) => l.includes(": error: "))).toEqual([
      `${file}:${line}:7: error: k8s-staging-kustomize already has an entry that differs from upstream's special case; reconcile it by hand (nothing is written)`,
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe(changed);
  });

  it("refuses a project whose existing entry differs: exit 1 naming its line, nothing written", () => {
    const file = copy();
    const conflicting = original + "      k8s-staging-kubernetes:\n        buildBucket: false\n";
    fs.writeFileSync(file, conflicting);
    const r = cli("--terraform", TF_ARG, "--infra", file, "--write");
    expect(r.status).toBe(1);
    expect(r.stderr.filter((l) => l.includes(": error: "))).toEqual([
      `${file}:394:7: error: k8s-staging-kubernetes is already in infra.staging.projects with a different entry than the one migrated from kubernetes.tf; reconcile it by hand (nothing is written)`,
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe(conflicting);
  });

  it("without --write, an existing entry is noted (same) or warned about (different); exit 0", () => {
    const file = copy();
    const kubernetes = SAMPLE_BLOCK.slice(SAMPLE_BLOCK.indexOf("      k8s-staging-kubernetes:"));
    fs.writeFileSync(file, original + "      k8s-staging-images:\n        buildBucket: false\n" + kubernetes);
    const r = cli("--terraform", TF_ARG, "--infra", file);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(SAMPLE_BLOCK + SPECIAL_BLOCK + SUMMARY);
    expect(r.stderr.filter((l) => l.startsWith(file))).toEqual([
      `${file}:394:7: warning: k8s-staging-images is already in infra.staging.projects with a different entry; --write would refuse it`,
      `${file}:396:7: note: k8s-staging-kubernetes is already migrated (the same entry); --write leaves it`,
    ]);
  });

  it("--write without --infra writes infra/gcp/infra.yaml of the tree that holds infra/gcp/terraform/<dir>", () => {
    const root = tempDir("migrate-tree-");
    const dir = path.join(root, "infra/gcp/terraform/k8s-staging-demo");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf"), project() + registry() + GRANTS);
    const infra = path.join(root, "infra/gcp/infra.yaml");
    const text = "infra:\n  staging:\n    projects:\n      k8s-staging-a:\n\n  # the end\n";
    fs.writeFileSync(infra, text);
    const r = cli("--terraform", dir, "--write");
    const infraName = path.join(dir, "..", "..", "infra.yaml");
    expect(r.stderr).toEqual([`${infraName}:1:1: note: not in infra.staging.projects, so their special cases are not written: ${SPECIAL_NAMES}`]);
    expect(r.status).toBe(0);
    const block = "      k8s-staging-demo:\n        buildBucket: false\n        repositories:\n          demo:\n";
    expect(r.stdout).toBe(block + `1 project, 1 repository from 1 Terraform file; 12 special cases of ensure-staging-storage.sh\ninserted 1 project into ${infraName} at line 5\n`);
    expect(fs.readFileSync(infra, "utf8")).toBe("infra:\n  staging:\n    projects:\n      k8s-staging-a:\n" + block + "\n  # the end\n");
  });

  it("without --write, the default infra.yaml beside the Terraform gives the indentation and nothing is written", () => {
    const before = fs.readFileSync(INFRA, "utf8");
    const r = cli("--terraform", TF_ARG);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("      k8s-staging-images:\n")).toBe(true);
    expect(fs.readFileSync(INFRA, "utf8")).toBe(before);
  });
});

describe("review findings", () => {
  it("a writer with capitals in the Terraform is an error at its line there; nothing is migrated", async () => {
    const dir = tfDir(Object.fromEntries(fs.readdirSync(TF).map((f) => [f, fs.readFileSync(path.join(TF, f), "utf8")])));
    const file = path.join(dir, "registries.tf");
    const text = fs.readFileSync(file, "utf8").replace("group:k8s-infra-staging-kro@", "group:K8s-Infra-Staging-Kro@");
    fs.writeFileSync(file, text);
    const r = await migrate(dir);
    const line = text.split("\n").findIndex((l) => l.includes("K8s-Infra-Staging-Kro")) + 1;
    expect(r.errors).toEqual([
      `registries.tf:${line}:40: error: module "artifact_registry"["kro"]: repository kro: writer group:K8s-Infra-Staging-Kro@kubernetes.io must be written in lowercase (IAM compares addresses in lowercase); fix it in the Terraform, then migrate`,
    ]);
    expect(r.migration).toBeUndefined();
  });

  it("special cases go into empty entries written ~, null or {} (a comment after the key stays)", () => {
    const file = path.join(tempDir("migrate-empty-"), "infra.yaml");
    fs.writeFileSync(file, "infra:\n  staging:\n    projects:\n      k8s-staging-kustomize: ~  # keys\n      k8s-staging-sig-storage: {}\n      k8s-staging-releng: null\n      k8s-staging-kind:\n");
    const r = cli("--terraform", TF_ARG, "--infra", file, "--write");
    expect(r.status).toBe(0);
    const after = fs.readFileSync(file, "utf8");
    expect(after).toContain("      k8s-staging-kustomize: # keys\n        iam:\n");
    const projects = (parseYaml(after) as { infra: { staging: { projects: Record<string, unknown> } } }).infra.staging.projects;
    expect(projects["k8s-staging-sig-storage"]).toEqual({ services: ["compute.googleapis.com", "oslogin.googleapis.com"] });
    expect(projects["k8s-staging-releng"]).toEqual({ release: true });
    expect(projects["k8s-staging-kind"]).toBeNull();
  });
});

describe("inserting as text", () => {
  async function sample() {
    const { migration } = await migrate(TF);
    return migration!.projects;
  }
  const insert = (text: string, projects: Awaited<ReturnType<typeof sample>>) => {
    const problems = new Problems();
    const file = readInfraFile("infra.yaml", text, problems);
    expect(problems.sorted().map(formatProblem)).toEqual([]);
    return { file: file!, plan: planInsertion(file!, projects, problems), problems: problems.sorted().map(formatProblem) };
  };

  it("keeps CRLF line endings, the file's indentation and a missing final newline", async () => {
    const projects = (await sample()).filter((p) => p.id === "k8s-staging-kubernetes");
    const text = "infra:\r\n  staging:\r\n   projects:\r\n       k8s-staging-a:\r\n  # end\r\nother: 1";
    const { plan } = insert(text, projects);
    if (plan.kind !== "insert") throw new Error(plan.kind);
    expect(plan.block.startsWith("       k8s-staging-kubernetes:\r\n           folderId:")).toBe(true);
    expect(plan.block.replace(/\r\n/g, "")).not.toContain("\n");
    expect(plan.text.slice(0, plan.offset) + plan.text.slice(plan.offset + plan.block.length)).toBe(text);
    expect(plan.offset).toBe(text.indexOf("  # end"));

    const bare = "infra:\n  staging:\n    projects:\n      k8s-staging-a:";
    const end = insert(bare, projects).plan;
    if (end.kind !== "insert") throw new Error(end.kind);
    expect(end.text).toBe(bare + "\n" + renderEntries(projects, DEFAULT_LAYOUT).slice(0, -1));
  });

  it("an empty projects: gets its first entries under it", async () => {
    const projects = (await sample()).filter((p) => p.id === "k8s-staging-kubernetes");
    const text = "infra:\n  staging:\n    projects:\n  prod:\n    projects:\n";
    const { plan } = insert(text, projects);
    if (plan.kind !== "insert") throw new Error(plan.kind);
    expect(plan.text).toBe("infra:\n  staging:\n    projects:\n" + renderEntries(projects, DEFAULT_LAYOUT) + "  prod:\n    projects:\n");
  });

  it("inserts only the projects that are not there yet when the others are already migrated", async () => {
    const projects = await sample();
    const kubernetes = renderEntries(projects.filter((p) => p.id === "k8s-staging-kubernetes"), DEFAULT_LAYOUT);
    const text = "infra:\n  staging:\n    projects:\n" + kubernetes;
    const { plan } = insert(text, projects);
    if (plan.kind !== "insert") throw new Error(plan.kind);
    expect(plan.inserted).toEqual(["k8s-staging-images"]);
    expect(plan.already).toEqual(["k8s-staging-kubernetes"]);
    expect(plan.text).toBe(text + renderEntries(projects.filter((p) => p.id === "k8s-staging-images"), DEFAULT_LAYOUT));
  });

  it("a flow mapping cannot take text entries: an error, nothing planned", () => {
    const problems = new Problems();
    expect(readInfraFile("infra.yaml", "infra:\n  staging:\n    projects: {a: }\n", problems)).toBeUndefined();
    expect(problems.sorted().map(formatProblem)).toEqual([
      "infra.yaml:3:15: error: infra.staging.projects is a flow mapping ({...}); write it as a block mapping to insert entries as text",
    ]);
  });
});
