import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, baseCatalog, check, infra, tempDir, writeTree } from "./helpers";

/** Runs `npm run validate` as a person would (each run costs about a second). */
function validate(...args: string[]) {
  const r = spawnSync("npx", ["tsx", "src/cli/validate.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  const lines = (s: string) => s.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}

describe("npm run validate", () => {
  it("accepts the bundled catalog (the default stack is example): exit 0 and no errors or warnings", () => {
    const r = validate();
    expect(r.status).toBe(0);
    expect(r.stdout.at(-1)).toBe("0 errors, 0 warnings");
    expect(r.stderr.filter((l) => / (error|warning): /.test(l))).toEqual([]);
  });

  it("rejects a broken catalog: exit 1, every problem on stderr, the count on stdout", () => {
    const broken = {
      ...baseCatalog(),
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-Bad:"),
      "images/k8s-staging-demo/images.yaml": `- name: demo\n  dmap:\n    "sha256:abc": ["-rc1"]\n`,
      "images/k8s-staging-orphan/images.yaml": `- name: orphan\n  dmap:\n    "sha256:${"c".repeat(64)}": ["v1"]\n`,
    };
    // the test catalogs of helpers.ts are written for the prod policy (check() uses it): validate them with --stack prod
    const expected = check(broken);
    expect(expected.errors).toHaveLength(3);
    expect(expected.warnings).toHaveLength(1);

    const r = validate("--stack", "prod", "--catalog", writeTree(broken));
    expect(r.status).toBe(1);
    expect(r.stderr.filter((l) => /^[^:\s]+:\d+:\d+: error: /.test(l))).toHaveLength(3);
    expect(r.stderr).toEqual(expected.all);
    expect(r.stdout).toEqual(["3 errors, 1 warning"]);
  });

  it("an unknown flag exits 2 with a one-line error and the usage", () => {
    const r = validate("--frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toEqual(["error: unknown flag --frobnicate", "usage: npm run validate -- [--catalog DIR] [--stack NAME]"]);
    expect(r.stdout).toEqual([]);
  });

  it("a missing catalog folder exits 2", () => {
    const missing = path.join(tempDir("cli-"), "nowhere");
    const r = validate("--catalog", missing);
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(`error: catalog folder ${missing} does not exist`);
  });

  it("--stack prod without --catalog exits 2 naming the missing catalog root and how to get it", () => {
    const root = path.resolve(REPO_ROOT, "../k8s.io");
    const r = validate("--stack", "prod");
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(
      `error: the catalog root of stack prod, ../k8s.io (${root}), does not exist; clone the upstream repository there (git clone https://github.com/kubernetes/k8s.io ${root}), set k8s-infra-staging:catalogRoot in Pulumi.prod.yaml, or pass --catalog DIR to the offline commands`,
    );
    expect(r.stdout).toEqual([]);
  });

  it("an unknown stack is a usage error (exit 2) naming Pulumi.<stack>.yaml and the stacks there are", () => {
    const r = validate("--stack", "nosuch");
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe('error: there is no stack "nosuch" (no Pulumi.nosuch.yaml beside Pulumi.yaml); the stacks are: example, prod');
  });
});
