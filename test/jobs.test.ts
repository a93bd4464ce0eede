/**
 * The job scripts (jobs/) end to end: presubmit on a git history of a catalog (a change that adds
 * a project, one that deletes one, one that touches a manifest and its images.yaml); apply and
 * drift up to the `pulumi` call, with a stand-in `pulumi` on PATH that records its arguments,
 * working folder and environment.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyBundled, INFRA, NEWPROJ_GROUP, replaceOnce } from "./fixtures/review/support";
import { removeTempDirs, tempDir } from "./fixtures/estate/support";
import { REPO_ROOT } from "./helpers";

afterAll(removeTempDirs);

const JOBS = path.join(REPO_ROOT, "jobs");

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.email=ci@example.org", "-c", "user.name=ci", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function job(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync("bash", [path.join(JOBS, `${name}.sh`), ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("presubmit on a catalog's git history", () => {
  let repo: string;
  let catalog: string;
  let base: string;
  const commit = (message: string, edits: Parameters<typeof copyBundled>[0]) => {
    git(repo, "checkout", "-q", "--detach", base);
    fs.rmSync(catalog, { recursive: true });
    copyBundled(edits, catalog);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", message);
    return git(repo, "rev-parse", "HEAD");
  };
  const presubmit = (head: string) => {
    const out = tempDir("presubmit-out-");
    git(repo, "checkout", "-q", "--detach", head);
    const r = job("presubmit", ["--catalog", catalog, "--base", base, "--head", head, "--stack", "example", "--out", out]);
    return { ...r, md: fs.existsSync(path.join(out, "plan.md")) ? fs.readFileSync(path.join(out, "plan.md"), "utf8") : "", out };
  };

  beforeAll(() => {
    repo = tempDir("catalog-repo-");
    git(repo, "init", "-q");
    catalog = path.join(repo, "projects");
    copyBundled({}, catalog);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "base");
    base = git(repo, "rev-parse", "HEAD");
  });

  it("a change that adds a project: every check passes, exit 0, and the markdown lists the checks and the new project's resources", () => {
    const head = commit("add newproj", { "infra.yaml": INFRA.addProject, ...NEWPROJ_GROUP });
    const r = presubmit(head);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("presubmit: every check passed");
    for (const check of ["validate", "check-change", "policy", "plan-base", "plan"]) expect(r.md).toMatch(new RegExp(`^\\| ${check} \\| passed \\|`, "m"));
    expect(r.md).toMatch(/^\| `k8s-staging-newproj` \| \d+ \|  \|  \|$/m);
    expect(r.md).toContain("### Staging estate: changes on stack example");
    expect(fs.readFileSync(path.join(r.out, "plan.txt"), "utf8")).toMatch(/^k8s-staging-newproj \(\+\d+ ~0 -0\)$/m);
    // the checkout the job was given is left as it was, with no worktree left behind
    expect(git(repo, "rev-parse", "HEAD")).toBe(head);
    expect(git(repo, "worktree", "list").split("\n")).toHaveLength(1);
  });

  it("a change that deletes a project: the protected deletions stop it, exit 3, and the markdown says which", () => {
    const head = commit("remove kueue", { "infra.yaml": INFRA.removeKueue });
    const r = presubmit(head);
    expect(r.status).toBe(3);
    expect(r.md).toMatch(/^\| plan \| \*\*failed\*\* \(exit 3\) \|/m);
    expect(r.md).toContain("Project k8s-staging-kueue");
    expect(r.stdout).toContain("presubmit: failed (exit 3)");
  });

  it("a change that touches a manifest and its images.yaml: the change rule fails it, exit 1, and the rest still runs", () => {
    const head = commit("manifest and images together", {
      "manifests/k8s-staging-kind/promoter-manifest.yaml": (t) => `${t}# touched\n`,
      "images/k8s-staging-kind/images.yaml": (t) => `${t}# touched\n`,
    });
    const r = presubmit(head);
    expect(r.status).toBe(1);
    expect(r.md).toMatch(/^\| check-change \| \*\*failed\*\* \(exit 1\) \|/m);
    expect(r.md).toMatch(/^\| validate \| passed \|/m);
    expect(r.md).toMatch(/^\| plan \| passed \|/m);
    expect(fs.readFileSync(path.join(r.out, "summary.txt"), "utf8")).toContain("must not also touch its images.yaml; split it into two pull requests");
  });

  it("a catalog error at the head: validate fails, exit 1, the error with file and line in the summary", () => {
    const head = commit("bad id", { "infra.yaml": (t) => replaceOnce(t, "      k8s-staging-kind:\n", "      k8s-staging-kind:\n      Bad_Id:\n") });
    const r = presubmit(head);
    expect(r.status).toBe(1);
    expect(r.md).toMatch(/^\| validate \| \*\*failed\*\* \(exit 1\) \|/m);
    expect(fs.readFileSync(path.join(r.out, "summary.txt"), "utf8")).toMatch(/infra\.yaml:\d+:\d+: error: project id "Bad_Id"/);
  });

  it("usage: a missing argument or an unknown commit is exit 2 with the usage", () => {
    const missing = job("presubmit", ["--catalog", catalog, "--head", base]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: --catalog, --base and --head are required");
    expect(missing.stderr).toContain("usage: npm run presubmit --");
    const unknown = job("presubmit", ["--catalog", catalog, "--base", "0".repeat(40), "--head", base]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("is not a commit of");
  });
});

/** A `pulumi` that records each call (arguments, folder, chosen environment) and answers as told. */
function fakePulumi(answer: { code: number; stderr?: string }): { bin: string; calls: () => { args: string[]; cwd: string; env: Record<string, string> }[] } {
  const dir = tempDir("fake-pulumi-");
  const log = path.join(dir, "calls.jsonl");
  const script = [
    "#!/usr/bin/env node",
    'const fs = require("node:fs");',
    `const keys = ["PULUMI_BACKEND_URL", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_CONFIG_PASSPHRASE", "GOOGLE_APPLICATION_CREDENTIALS"];`,
    "const env = Object.fromEntries(keys.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));",
    `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), env }) + "\\n");`,
    `process.stderr.write(${JSON.stringify(answer.stderr ?? "")});`,
    `process.exit(${answer.code});`,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "pulumi"), script, { mode: 0o755 });
  return {
    bin: dir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { args: string[]; cwd: string; env: Record<string, string> }) : []),
  };
}

const BACKEND = { PULUMI_BACKEND_URL: "gs://k8s-infra-staging-pulumi-state" };
const withPulumi = (bin: string, env: NodeJS.ProcessEnv = BACKEND) => ({ ...env, PATH: `${bin}:${process.env.PATH ?? ""}` });

describe("apply up to the pulumi call", () => {
  it("checks the merged catalog offline, then runs pulumi up once with the policy pack, in the program's folder", () => {
    const pulumi = fakePulumi({ code: 0 });
    const r = job("apply", ["--stack", "example"], withPulumi(pulumi.bin));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = pulumi.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args).toEqual(["up", "--yes", "--non-interactive", "--stack", "example", "--policy-pack", path.join(REPO_ROOT, "policy"), "--diff"]);
    expect(calls[0]!.cwd).toBe(REPO_ROOT);
    expect(calls[0]!.env).toEqual({ ...BACKEND, PULUMI_SKIP_UPDATE_CHECK: "true" });
    expect(r.stdout).toContain("policy: 365 resources of stack example, no violation");
    expect(r.stdout).toMatch(/apply: pulumi up on stack example succeeded in \d+s/);
  });

  it("a failed pulumi up is reported with its exit code and not retried", () => {
    const pulumi = fakePulumi({ code: 255, stderr: "error: update failed\n" });
    const r = job("apply", ["--stack", "example"], withPulumi(pulumi.bin));
    expect(r.status).toBe(255);
    expect(pulumi.calls()).toHaveLength(1);
    expect(r.stdout).toContain("apply: pulumi up on stack example FAILED (exit 255)");
    expect(r.stdout).toContain("no retry");
  });

  it("no state backend, or a catalog that is not checked out: exit 2 and pulumi is never called", () => {
    const pulumi = fakePulumi({ code: 0 });
    const noBackend = job("apply", ["--stack", "example"], withPulumi(pulumi.bin, { PULUMI_BACKEND_URL: "", PULUMI_ACCESS_TOKEN: "" }));
    expect(noBackend.status).toBe(2);
    expect(noBackend.stderr).toContain("error: no state backend: set PULUMI_BACKEND_URL");
    const prod = job("apply", ["--stack", "prod"], withPulumi(pulumi.bin));
    if (!fs.existsSync(path.resolve(REPO_ROOT, "../k8s.io"))) {
      expect(prod.status).toBe(2);
      expect(prod.stderr).toMatch(/the catalog of stack prod, .*k8s\.io, is not checked out/);
    }
    const elsewhere = job("apply", ["--stack", "example", "--catalog", tempDir("elsewhere-")], withPulumi(pulumi.bin));
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toContain("is not the folder stack example reads");
    expect(pulumi.calls()).toEqual([]);
    // --catalog naming the stack's own catalogRoot is accepted
    expect(job("apply", ["--stack", "example", "--catalog", path.join(REPO_ROOT, "projects")], withPulumi(pulumi.bin)).status).toBe(0);
  });
});

describe("drift up to the pulumi call", () => {
  it("no drift: pulumi preview --refresh --expect-no-changes, exit 0", () => {
    const pulumi = fakePulumi({ code: 0 });
    const r = job("drift", ["--stack", "example"], withPulumi(pulumi.bin));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(pulumi.calls().map((c) => c.args)).toEqual([
      ["preview", "--refresh", "--expect-no-changes", "--non-interactive", "--diff", "--stack", "example", "--policy-pack", path.join(REPO_ROOT, "policy")],
    ]);
    expect(r.stdout).toContain("drift: none on stack example");
  });

  it.each([
    ["error: no changes were expected but changes were proposed\n"],
    ["error: no changes were expected for preview but changes were proposed\n"],
  ])("drift found (%s): exit 5 and what differs is named", (stderr) => {
    const pulumi = fakePulumi({ code: 255, stderr: `    ~ gcp:storage:Bucket k8s-staging-kind update [diff: ~labels]\n${stderr}` });
    const r = job("drift", ["--stack", "example"], withPulumi(pulumi.bin));
    expect(r.status).toBe(5);
    expect(r.stdout).toContain("~ gcp:storage:Bucket k8s-staging-kind update");
    expect(r.stdout).toContain("drift: stack example differs from the cloud");
  });

  it("a preview that fails for another reason keeps pulumi's exit code", () => {
    const pulumi = fakePulumi({ code: 1, stderr: "error: failed to decrypt\n" });
    const r = job("drift", ["--stack", "example"], withPulumi(pulumi.bin));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("drift: pulumi preview failed (exit 1) before it could compare");
  });
});
