/**
 * The CI wiring of the job scripts: the GitHub Actions workflows (.github/workflows/) and the
 * Prow jobs (deploy/prow/k8s-infra-staging.yaml). They only check out code, install Node and the
 * Pulumi CLI, authenticate and call `npm run presubmit|apply|drift`; these tests read them as
 * files (nothing here talks to GitHub, Prow or Google). Each checker is also shown a bad sample,
 * so that a checker that passes everything fails here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackConfigFile } from "../src/config";
import { REPO_ROOT } from "./helpers";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const PROW_FILE = path.join(REPO_ROOT, "deploy", "prow", "k8s-infra-staging.yaml");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
/** The Pulumi CLI the jobs install: the version of the SDK the program is built with. */
const PULUMI_VERSION = PACKAGE.dependencies["@pulumi/pulumi"]!;
const STATE_BACKEND = "gs://k8s-infra-staging-pulumi-state";
const CATALOG_ROOT = readStackConfigFile(REPO_ROOT, "prod").catalogRoot;

// ---- the files, parsed ----

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
  "continue-on-error"?: boolean;
}
interface Job {
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  steps?: Step[];
  uses?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const workflowFiles = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const workflowText = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(workflowText(file)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);

interface Container {
  image: string;
  command: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: unknown[];
}
interface ProwJob {
  name: string;
  cluster?: string;
  decorate?: boolean;
  max_concurrency?: number;
  run_if_changed?: string;
  branches?: string[];
  interval?: string;
  cron?: string;
  path_alias?: string;
  extra_refs?: { org: string; repo: string; base_ref: string; path_alias?: string }[];
  annotations?: Record<string, string>;
  spec: { serviceAccountName?: string; containers: Container[]; volumes?: unknown[] };
}
interface ProwConfig {
  presubmits: Record<string, ProwJob[]>;
  postsubmits: Record<string, ProwJob[]>;
  periodics: ProwJob[];
}

const prowText = fs.readFileSync(PROW_FILE, "utf8");
const prow = parse(prowText) as ProwConfig;
const [presubmit] = prow.presubmits["kubernetes/k8s.io"] ?? [];
const [postsubmit] = prow.postsubmits["kubernetes/k8s.io"] ?? [];
const [periodic] = prow.periodics;
/** The job's shell script: each container runs `/bin/bash -c SCRIPT`. */
const script = (job: ProwJob) =>
  job.spec.containers
    .map((c) => {
      expect(c.command.slice(0, 2)).toEqual(["/bin/bash", "-c"]);
      return c.command[2]!;
    })
    .join("\n");

// ---- the checkers ----

/** Every `npm run NAME` in a text. */
function npmRuns(text: string): string[] {
  return [...text.matchAll(/\bnpm run ([A-Za-z0-9:_-]+)/g)].map((m) => m[1]!);
}

/** A `uses:` pinned to a full version (v1.2.3) or a commit: anything else may move under us. */
const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[^@\s]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;
function unpinned(w: Workflow): string[] {
  const uses = Object.values(w.jobs).flatMap((j) => [j.uses, ...(j.steps ?? []).map((s) => s.uses)]);
  return uses.filter((u): u is string => u !== undefined && !PINNED.test(u));
}

/** Walks a parsed YAML document: every [path, key, value] below it. */
function* walk(node: unknown, at = ""): Generator<[string, string, unknown]> {
  if (Array.isArray(node)) for (const [i, v] of node.entries()) yield* walk(v, `${at}[${i}]`);
  else if (node !== null && typeof node === "object")
    for (const [k, v] of Object.entries(node)) {
      yield [`${at}.${k}`, k, v];
      yield* walk(v, `${at}.${k}`);
    }
}

/**
 * Where a parsed workflow or job config writes or reads a credential: a key file, a secret, a
 * secret volume. Reads the parsed document, so the files' comments may name what they avoid.
 */
function credentialProblems(doc: unknown): string[] {
  const problems: string[] = [];
  for (const [at, key, value] of walk(doc)) {
    if (key === "credentials_json") problems.push(`${at}: a service-account key (credentials_json)`);
    if (key === "secret" && typeof value === "object") problems.push(`${at}: a secret volume`);
    if (key === "secretKeyRef" || key === "secretName") problems.push(`${at}: reads a Kubernetes secret`);
    if (key === "GOOGLE_APPLICATION_CREDENTIALS") problems.push(`${at}: GOOGLE_APPLICATION_CREDENTIALS set`);
    if (typeof value !== "string") continue;
    if (/GOOGLE_APPLICATION_CREDENTIALS/.test(value)) problems.push(`${at}: names GOOGLE_APPLICATION_CREDENTIALS`);
    if (/"private_key(_id)?"|BEGIN [A-Z ]*PRIVATE KEY|"type":\s*"service_account"/.test(value)) problems.push(`${at}: service-account key JSON`);
    if (/--key-file|activate-service-account|credential_file|\.json\b.*(key|cred)/i.test(value)) problems.push(`${at}: a key file`);
    if (/\$\{\{\s*secrets\./.test(value)) problems.push(`${at}: uses a repository secret`);
  }
  return problems;
}

/** Whether Prow's run_if_changed (a Go regular expression) selects a changed file. */
const selects = (job: ProwJob, file: string) => RE2JS.compile(job.run_if_changed!).matcher(file).find();

// ---- the checkers can fail ----

describe("the checkers reject what they are there to reject", () => {
  it("@action-validator/core rejects a workflow with a misspelt key and a wrong type", () => {
    const errors = validateWorkflow(
      "on: push\nconcurrency: {group: x, cancel-in-progress: nope}\njobs:\n  a:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: echo\n",
    ).errors;
    expect(errors.map((e) => ("path" in e ? e.path : ""))).toEqual(expect.arrayContaining(["/concurrency", "/jobs/a"]));
  });

  it("the pin check rejects majors, branches, partial versions and short SHAs; accepts v1.2.3 and a full SHA", () => {
    const w = (uses: string[]): Workflow => ({ on: {}, jobs: { a: { steps: uses.map((u) => ({ uses: u })) } } });
    const bad = ["actions/checkout@v4", "actions/checkout@main", "actions/checkout@master", "actions/checkout@v4.2", "actions/checkout@08eba0b", "actions/checkout", "./local"];
    expect(unpinned(w(bad))).toEqual(bad);
    expect(unpinned(w(["actions/checkout@v4.2.2", `actions/checkout@${"a1".repeat(20)}`, "github/codeql-action/init@v3.28.0"]))).toEqual([]);
    expect(unpinned({ on: {}, jobs: { r: { uses: "org/repo/.github/workflows/x.yml@main" } } })).toEqual(["org/repo/.github/workflows/x.yml@main"]);
  });

  it("the credential check finds a key in a workflow and a secret volume in a Prow job", () => {
    const keyed = parse(`
jobs:
  a:
    env:
      GOOGLE_APPLICATION_CREDENTIALS: /tmp/key.json
    steps:
      - uses: google-github-actions/auth@v3.0.0
        with:
          credentials_json: \${{ secrets.GCP_KEY }}
      - run: gcloud auth activate-service-account --key-file=/tmp/key.json
`);
    expect(credentialProblems(keyed)).toEqual([
      ".jobs.a.env.GOOGLE_APPLICATION_CREDENTIALS: GOOGLE_APPLICATION_CREDENTIALS set",
      ".jobs.a.steps[0].with.credentials_json: a service-account key (credentials_json)",
      ".jobs.a.steps[0].with.credentials_json: uses a repository secret",
      ".jobs.a.steps[1].run: a key file",
    ]);
    const volume = parse(`
spec:
  containers:
  - env:
    - name: GOOGLE_APPLICATION_CREDENTIALS
      value: /etc/sa/key.json
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: t, key: t}}
  volumes:
  - name: sa
    secret: {secretName: apply-key}
`);
    expect(credentialProblems(volume)).toEqual([
      ".spec.containers[0].env[0].name: names GOOGLE_APPLICATION_CREDENTIALS",
      ".spec.containers[0].env[1].valueFrom.secretKeyRef: reads a Kubernetes secret",
      ".spec.volumes[0].secret: a secret volume",
      ".spec.volumes[0].secret.secretName: reads a Kubernetes secret",
    ]);
    expect(credentialProblems({ run: `echo '{"type": "service_account", "private_key": "x"}' > k.json` })).toEqual([
      ".run: service-account key JSON",
    ]);
  });
});

// ---- GitHub Actions ----

describe("GitHub Actions workflows", () => {
  it("are the presubmit, its comment poster, apply and drift", () => {
    expect(workflowFiles).toEqual(["apply.yml", "drift.yml", "presubmit-comment.yml", "presubmit.yml"]);
  });

  it.each(workflowFiles)("%s validates against the GitHub Actions workflow schema (@action-validator/core)", (file) => {
    expect(validateWorkflow(workflowText(file)).errors).toEqual([]);
  });

  it.each(workflowFiles)("%s: every uses: is pinned to a full version or a commit", (file) => {
    expect(steps(workflow(file)).filter((s) => s.uses).length).toBeGreaterThan(0);
    expect(unpinned(workflow(file))).toEqual([]);
  });

  it.each(workflowFiles)("%s writes and reads no credential file and uses no repository secret", (file) => {
    expect(credentialProblems(workflow(file))).toEqual([]);
  });

  it("every npm run in the workflows is a script of package.json", () => {
    const runs = workflowFiles.flatMap((f) => npmRuns(workflowText(f)));
    expect(new Set(runs)).toEqual(new Set(["presubmit", "apply", "drift"]));
    for (const name of runs) expect(Object.keys(PACKAGE.scripts)).toContain(name);
  });

  it("no workflow uses pull_request_target; the presubmit runs on pull_request of the bundled catalog with a read-only token", () => {
    for (const f of workflowFiles) expect(Object.keys(workflow(f).on)).not.toContain("pull_request_target");
    const w = workflow("presubmit.yml");
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect((w.on.pull_request as { paths: string[] }).paths).toContain("projects/**");
    expect(w.permissions).toEqual({ contents: "read" });
    for (const job of Object.values(w.jobs)) expect(job.permissions).toBeUndefined();
    const run = steps(w).find((s) => s.run?.includes("npm run presubmit"))!;
    expect(run.run).toBe('npm run presubmit -- --catalog projects --stack example --base "$BASE_SHA" --head "$HEAD_SHA" --out _artifacts');
    expect(run.env).toEqual({ BASE_SHA: "${{ github.event.pull_request.base.sha }}", HEAD_SHA: "${{ github.event.pull_request.head.sha }}" });
    // the worktrees of base and head need the whole history
    expect(steps(w).find((s) => s.uses?.startsWith("actions/checkout@"))!.with).toMatchObject({ "fetch-depth": 0, "persist-credentials": false });
    const upload = steps(w).find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(upload.with).toMatchObject({ name: "presubmit-plan", path: "_artifacts/" });
  });

  it("the comment is posted from the default branch (workflow_run), runs nothing of the pull request, and updates one marked comment", () => {
    const w = workflow("presubmit-comment.yml");
    expect(w.on).toEqual({ workflow_run: { workflows: ["presubmit"], types: ["completed"] } });
    expect(w.permissions).toEqual({});
    const [job] = Object.values(w.jobs);
    expect(job!.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    // no checkout, no shell: the artifact is read as text by the script below
    expect(job!.steps!.map((s) => s.uses?.split("@")[0])).toEqual(["actions/download-artifact", "actions/github-script"]);
    expect(job!.steps!.filter((s) => s.run !== undefined)).toEqual([]);
    expect(job!.steps![0]!.with).toMatchObject({ name: "presubmit-plan", "run-id": "${{ github.event.workflow_run.id }}" });
    const js = String(job!.steps![1]!.with!.script);
    expect(js).toContain('const MARKER = "<!-- k8s-infra-staging:presubmit-plan -->"');
    expect(js).toMatch(/c\.user\?\.login === "github-actions\[bot\]" && c\.body\?\.startsWith\(MARKER\)/);
    expect(js).toContain("github.rest.issues.updateComment");
    expect(js).toContain("pr.head.sha !== HEAD_SHA");
    // values reach the script through env, never pasted into its source
    expect(js).not.toContain("${{");
  });

  it.each([
    ["apply.yml", "apply", "k8s-infra-staging-apply"],
    ["drift.yml", "drift", "k8s-infra-staging-drift"],
  ])("%s: Workload Identity Federation (id-token: write, auth with workload_identity_provider), after npm ci; the catalog beside the program", (file, script, account) => {
    const w = workflow(file);
    expect(w.permissions).toEqual({});
    const [job] = Object.values(w.jobs);
    expect(job!.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(job!.env).toEqual({ PULUMI_BACKEND_URL: STATE_BACKEND });
    const all = job!.steps!;
    const auth = all.findIndex((s) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(all[auth]!.with).toEqual({
      workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
      service_account: `${account}@k8s-infra-prow-build-trusted.iam.gserviceaccount.com`,
    });
    expect(auth).toBeGreaterThan(all.findIndex((s) => s.run?.startsWith("npm ci")));
    const run = all.findIndex((s) => s.run?.startsWith(`npm run ${script}`));
    expect(all[run]).toEqual({ run: `npm run ${script} -- --catalog ../k8s.io --stack prod`, "working-directory": "k8s-infra-staging" });
    expect(run).toBe(all.length - 1);
    expect(auth).toBe(run - 1);
    expect(all.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with).toEqual({ "pulumi-version": PULUMI_VERSION });
    const checkouts = all.filter((s) => s.uses?.startsWith("actions/checkout@")).map((s) => s.with);
    expect(checkouts).toEqual([
      { path: "k8s-infra-staging", "persist-credentials": false },
      { repository: "kubernetes/k8s.io", ref: "main", path: "k8s.io", "persist-credentials": false },
    ]);
    // where the stack reads its catalog (catalogRoot, relative to Pulumi.yaml) is where it is checked out
    expect(path.resolve("/w/k8s-infra-staging", CATALOG_ROOT)).toBe("/w/k8s.io");
  });

  it("apply runs one at a time and is never cancelled; on push to main and by hand", () => {
    const w = workflow("apply.yml");
    expect(w.concurrency).toEqual({ group: "apply-prod", "cancel-in-progress": false });
    expect(w.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: {} });
  });

  it("drift runs every 6 hours and by hand", () => {
    expect(workflow("drift.yml").on).toEqual({ schedule: [{ cron: "0 */6 * * *" }], workflow_dispatch: {} });
  });
});

// ---- Prow ----

describe("Prow jobs (deploy/prow/k8s-infra-staging.yaml)", () => {
  it("parse into the three jobs on kubernetes/k8s.io", () => {
    expect(Object.keys(prow).sort()).toEqual(["periodics", "postsubmits", "presubmits"]);
    expect(Object.keys(prow.presubmits)).toEqual(["kubernetes/k8s.io"]);
    expect(Object.keys(prow.postsubmits)).toEqual(["kubernetes/k8s.io"]);
    expect([presubmit, postsubmit, periodic].map((j) => j?.name)).toEqual([
      "pull-k8s-infra-staging-plan",
      "post-k8s-infra-staging-apply",
      "ci-k8s-infra-staging-drift",
    ]);
    expect(prow.presubmits["kubernetes/k8s.io"]).toHaveLength(1);
    expect(prow.postsubmits["kubernetes/k8s.io"]).toHaveLength(1);
    expect(prow.periodics).toHaveLength(1);
  });

  it.each([
    ["infra/gcp/infra.yaml", true],
    ["registry.k8s.io/images/x/images.yaml", true],
    ["registry.k8s.io/manifests/x/promoter-manifest.yaml", true],
    ["groups/sig-x/groups.yaml", true],
    ["README.md", false],
    ["infra/gcp/infra.yml", false],
    ["infra/gcp/terraform/main.tf", false],
    ["docs/groups/x.md", false],
    ["registry-k8s-io/x", false],
  ])("presubmit and postsubmit run_if_changed (Go regexp): %s -> %s", (file, selected) => {
    expect(selects(presubmit!, file)).toBe(selected);
    expect(selects(postsubmit!, file)).toBe(selected);
  });

  it("every npm run is a script of package.json; each job calls its own", () => {
    for (const name of npmRuns(prowText)) expect(Object.keys(PACKAGE.scripts)).toContain(name);
    expect([presubmit!, postsubmit!, periodic!].map((j) => npmRuns(script(j)))).toEqual([["presubmit"], ["apply"], ["drift"]]);
  });

  it("no job writes or reads a credential file or a secret", () => {
    expect(credentialProblems(prow)).toEqual([]);
    for (const job of [presubmit!, postsubmit!, periodic!]) {
      expect(job.spec.volumes).toBeUndefined();
      for (const c of job.spec.containers) expect(c.volumeMounts).toBeUndefined();
    }
  });

  it("the presubmit: decorated, untrusted cluster, no account, no env; base and head of the pull request; markdown to $ARTIFACTS", () => {
    expect(presubmit!.decorate).toBe(true);
    expect(presubmit!.cluster).toBe("k8s-infra-prow-build");
    expect(presubmit!.spec.serviceAccountName).toBeUndefined();
    expect(presubmit!.spec.containers.map((c) => c.env)).toEqual([undefined]);
    expect(presubmit!.branches).toEqual(["^main$"]);
    expect(script(presubmit!)).toContain(
      'npm run presubmit -- --catalog /home/prow/go/src/k8s.io/k8s.io --base "${PULL_BASE_SHA}" --head "${PULL_PULL_SHA}" --out "${ARTIFACTS}"',
    );
    expect(script(presubmit!)).not.toMatch(/pulumi (up|preview|login)/);
  });

  it("the postsubmit: trusted cluster, one at a time, main only, the apply account by Workload Identity, the state bucket", () => {
    expect(postsubmit).toMatchObject({ cluster: "k8s-infra-prow-build-trusted", max_concurrency: 1, decorate: true, branches: ["^main$"] });
    expect(postsubmit!.run_if_changed).toBe(presubmit!.run_if_changed);
    expect(postsubmit!.spec.serviceAccountName).toBe("k8s-infra-staging-apply");
    expect(postsubmit!.spec.containers[0]!.env).toEqual([{ name: "PULUMI_BACKEND_URL", value: STATE_BACKEND }]);
    expect(script(postsubmit!)).toContain("npm run apply -- --catalog /home/prow/go/src/k8s.io/k8s.io --stack prod");
  });

  it("the periodic: every 6 hours, trusted cluster, both repositories, a drift account, the state bucket", () => {
    expect(periodic!.interval === "6h" || periodic!.cron === "0 */6 * * *").toBe(true);
    expect(periodic).toMatchObject({ cluster: "k8s-infra-prow-build-trusted", max_concurrency: 1, decorate: true });
    expect(periodic!.extra_refs!.map((r) => `${r.org}/${r.repo}@${r.base_ref}`)).toEqual([
      "kubernetes/k8s.io@main",
      "kubernetes-sigs/k8s-infra-staging@main",
    ]);
    expect(periodic!.spec.serviceAccountName).toBe("k8s-infra-staging-drift");
    expect(periodic!.spec.containers[0]!.env).toEqual([{ name: "PULUMI_BACKEND_URL", value: STATE_BACKEND }]);
    expect(script(periodic!)).toContain("npm run drift -- --catalog /home/prow/go/src/k8s.io/k8s.io --stack prod");
  });

  it.each(["pull-k8s-infra-staging-plan", "post-k8s-infra-staging-apply", "ci-k8s-infra-staging-drift"])(
    "%s: the program is checked out beside the catalog, where the prod stack's catalogRoot reads it, and the job works there",
    (name) => {
      const job = [presubmit!, postsubmit!, periodic!].find((j) => j.name === name)!;
      const program = job.extra_refs!.find((r) => r.repo === "k8s-infra-staging")!;
      expect(program).toMatchObject({ org: "kubernetes-sigs", base_ref: "main" });
      const catalogAlias = job.path_alias ?? job.extra_refs!.find((r) => r.repo === "k8s.io")!.path_alias;
      const src = "/home/prow/go/src";
      const programDir = path.posix.join(src, program.path_alias!);
      const catalogDir = path.posix.join(src, catalogAlias!);
      expect(path.posix.resolve(programDir, CATALOG_ROOT)).toBe(catalogDir);
      expect(script(job)).toContain(`cd ${programDir}\n`);
      expect(script(job)).toContain(`--catalog ${catalogDir} `);
      expect(job.annotations).toMatchObject({ "testgrid-dashboards": "sig-k8s-infra-k8sio", "testgrid-tab-name": name });
    },
  );

  it("images are pinned by a version tag; apply and drift install the Pulumi CLI of the SDK's version and check it", () => {
    for (const job of [presubmit!, postsubmit!, periodic!])
      for (const c of job.spec.containers) expect(c.image).toMatch(/^node:20\.\d+\.\d+-bookworm$/);
    for (const job of [postsubmit!, periodic!]) {
      expect(script(job)).toContain(`PULUMI_VERSION=${PULUMI_VERSION}\n`);
      expect(script(job)).toContain('sh /tmp/install-pulumi.sh --version "${PULUMI_VERSION}"');
      expect(script(job)).toContain('test "$(pulumi version)" = "v${PULUMI_VERSION}"');
      expect(script(job).split("\n")[0]).toBe("set -euo pipefail");
    }
  });
});
