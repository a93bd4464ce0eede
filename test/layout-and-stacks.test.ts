import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detectLayout, LAYOUTS, LayoutError } from "../src/catalog/layout";
import { locateCatalog, readStackConfigFile } from "../src/config";
import { checkChangeRules } from "../src/review/change-rules";
import { REPO_ROOT, SHARED, tempDir, writeTree } from "./helpers";

const SAMPLE = path.join(SHARED, "k8sio-sample");

function cli(command: "validate" | "plan", ...args: string[]) {
  const r = spawnSync("npx", ["tsx", `src/cli/${command}.ts`, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  const lines = (s: string) => s.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}

describe("catalog layouts", () => {
  it("the bundled projects/ folder is the projects layout; the k8s.io sample is the k8s.io layout, read in place", () => {
    expect(detectLayout(path.join(REPO_ROOT, "projects"))).toEqual(LAYOUTS.projects);
    expect(detectLayout(SAMPLE)).toEqual({
      name: "k8s.io",
      infra: "infra/gcp/infra.yaml",
      images: "registry.k8s.io/images",
      manifests: "registry.k8s.io/manifests",
      groups: "groups",
    });
  });

  it("a root holding both infra files is ambiguous, and one holding neither says what was looked for", () => {
    const both = writeTree({ "infra.yaml": "infra: {}\n", "infra/gcp/infra.yaml": "infra: {}\n" });
    expect(() => detectLayout(both)).toThrow(
      new LayoutError(`${both} is ambiguous: it holds both infra.yaml (layout projects) and infra/gcp/infra.yaml (layout k8s.io); pass the folder of the catalog you mean`),
    );
    const empty = tempDir();
    expect(() => detectLayout(empty)).toThrow(
      new LayoutError(`${empty} is not a catalog root: it holds neither infra.yaml (layout projects) nor infra/gcp/infra.yaml (layout k8s.io)`),
    );
  });

  it("the infra/gcp folder of an upstream checkout is refused with the repository root to use", () => {
    const gcp = path.join(SAMPLE, "infra/gcp");
    expect(() => detectLayout(gcp)).toThrow(new LayoutError(`${gcp} is the infra/gcp folder of an upstream checkout; pass the repository root ${SAMPLE} (layout k8s.io)`));
  });

  it("the prod stack's catalog root is a checkout of the upstream repository; when it is missing the error says how to get it", () => {
    const prod = readStackConfigFile(REPO_ROOT, "prod");
    expect(prod.catalogRoot).toBe("../k8s.io");
    expect(prod.catalogLayout).toBe("k8s.io");
    const root = path.resolve(REPO_ROOT, "../k8s.io");
    if (fs.existsSync(root)) return; // a checkout is present on this machine: nothing is missing
    expect(() => locateCatalog(prod, "prod")).toThrow(
      new LayoutError(
        `the catalog root of stack prod, ../k8s.io (${root}), does not exist; clone the upstream repository there (git clone https://github.com/kubernetes/k8s.io ${root}), set k8s-infra-staging:catalogRoot in Pulumi.prod.yaml, or pass --catalog DIR to the offline commands`,
      ),
    );
  });

  it("a stack's layout is checked against the root it names", () => {
    const prod = readStackConfigFile(REPO_ROOT, "prod");
    const projects = path.join(REPO_ROOT, "projects");
    expect(() => locateCatalog({ ...prod, catalogRoot: projects }, "prod")).toThrow(
      new LayoutError(`${projects} has no infra/gcp/infra.yaml, which the k8s.io layout needs; check catalogRoot and catalogLayout`),
    );
    expect(locateCatalog({ ...prod, catalogRoot: SAMPLE }, "prod")).toEqual({ root: SAMPLE, layout: LAYOUTS["k8s.io"] });
    expect(locateCatalog(prod, "prod", SAMPLE)).toEqual({ root: SAMPLE, layout: LAYOUTS["k8s.io"] });
  });
});

describe("the stacks", () => {
  const stackFile = (name: string) => parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${name}.yaml`), "utf8")).config as Record<string, unknown>;

  it("the example stack is fictitious and reads the bundled catalog", () => {
    const example = readStackConfigFile(REPO_ROOT, "example");
    const prod = readStackConfigFile(REPO_ROOT, "prod");
    expect(example.organizationId).not.toBe(prod.organizationId);
    expect(example.billingAccount).not.toBe(prod.billingAccount);
    expect(example.domain).toBe("example.com");
    expect(example.productionRegistries.every((r) => r.includes("/example-artifacts-prod/"))).toBe(true);
    expect([example.catalogRoot, example.catalogLayout]).toEqual(["projects", "projects"]);
  });

  it("the prod stack names the quota project of Cloud Identity, which user credentials need; the groups' provider sets userProjectOverride and billingProject", () => {
    const prod = stackFile("prod");
    expect(prod["k8s-infra-staging:cloudIdentityBillingProject"]).toBe("k8s-gsuite");
    // only the groups use it: the default provider keeps each resource's own project
    expect(Object.keys(prod).filter((k) => k.startsWith("gcp:"))).toEqual([]);
  });
});

describe("the offline commands on either layout", () => {
  it("default to the example stack and its bundled catalog", () => {
    const r = cli("validate");
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(["0 errors, 0 warnings"]);
  });

  it("--stack prod refuses the example catalog: every @example.com person is an error", () => {
    const r = cli("validate", "--stack", "prod", "--catalog", "projects");
    expect(r.status).toBe(1);
    const refusals = r.stderr.filter((l) => l.includes("is a person of the bundled example estate"));
    expect(refusals.length).toBeGreaterThan(10);
    expect(refusals[0]).toMatch(/^groups\/sig-[a-z-]+\/groups\.yaml:\d+:\d+: error: [a-z]+@example\.com is a person of the bundled example estate; a real stack refuses @example\.com members/);
    const plan = cli("plan", "--stack", "prod", "--catalog", "projects");
    expect(plan.status).toBe(1);
    expect(plan.stdout.at(-1)).toMatch(/errors?, \d+ warnings?; nothing is planned$/);
  });

  it("--stack prod without a checkout of the upstream repository is a usage error saying how to get it", () => {
    if (fs.existsSync(path.resolve(REPO_ROOT, "../k8s.io"))) return;
    const r = cli("validate", "--stack", "prod");
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toMatch(/^error: the catalog root of stack prod, \.\.\/k8s\.io \(.*\), does not exist; clone the upstream repository there \(git clone https:\/\/github\.com\/kubernetes\/k8s\.io /);
  });

  it("--catalog on the k8s.io sample detects the layout; problem paths are relative to the root, as in an upstream pull request", () => {
    const r = cli("validate", "--stack", "prod", "--catalog", SAMPLE);
    expect(r.status).toBe(1);
    const files = new Set(r.stderr.map((l) => l.split(":")[0]!));
    expect([...files].every((f) => f === "infra/gcp/infra.yaml" || f.startsWith("registry.k8s.io/") || f.startsWith("groups/"))).toBe(true);
    expect(files).toContain("infra/gcp/infra.yaml");
    expect(files).toContain("registry.k8s.io/images/k8s-staging-ingress-nginx/images.yaml");
  });

  it("an unrecognisable --catalog is a usage error naming what was looked for", () => {
    const empty = tempDir();
    const r = cli("validate", "--catalog", empty);
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(`error: ${empty} is not a catalog root: it holds neither infra.yaml (layout projects) nor infra/gcp/infra.yaml (layout k8s.io)`);
  });
});

describe("check-change rules in the k8s.io layout", () => {
  const manifest = "registry.k8s.io/manifests/k8s-staging-kind/promoter-manifest.yaml";
  const images = "registry.k8s.io/images/k8s-staging-kind/images.yaml";

  it("a modified manifest with its images.yaml, and an OWNERS under registry.k8s.io/manifests, are violations with the upstream paths", () => {
    expect(
      checkChangeRules(
        [
          { status: "M", path: manifest },
          { status: "M", path: images },
          { status: "A", path: "registry.k8s.io/manifests/k8s-staging-kind/OWNERS" },
        ],
        SAMPLE,
        LAYOUTS["k8s.io"],
      ),
    ).toEqual([
      {
        files: [manifest, images],
        rule: "a change that modifies an existing promoter manifest must not also touch its images.yaml; split it into two pull requests",
      },
      { files: ["registry.k8s.io/manifests/k8s-staging-kind/OWNERS"], rule: "no OWNERS file may be added under registry.k8s.io/manifests/: manifests are not delegated" },
    ]);
  });

  it("the projects-layout paths mean nothing in the k8s.io layout", () => {
    const rules = checkChangeRules(
      [
        { status: "M", path: "manifests/k8s-staging-kind/promoter-manifest.yaml" },
        { status: "M", path: "images/k8s-staging-kind/images.yaml" },
      ],
      SAMPLE,
      LAYOUTS["k8s.io"],
    );
    expect(rules).toEqual([]);
  });
});

describe("plan outputs and bases (no stack trace, nothing half written)", () => {
  it("an output in a missing folder is a usage error, and the other output is not written either", () => {
    const dir = tempDir();
    const md = path.join(dir, "plan.md");
    const r = cli("plan", "--json", path.join(dir, "missing", "plan.json"), "--markdown", md);
    expect(r.status).toBe(2);
    expect(r.stderr.filter((l) => !l.includes(": note: "))[0]).toBe(`error: cannot write ${path.join(dir, "missing", "plan.json")}: its folder does not exist`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("an output naming a folder is a usage error", () => {
    const dir = tempDir();
    const r = cli("plan", "--json", dir);
    expect(r.status).toBe(2);
    expect(r.stderr.filter((l) => !l.includes(": note: "))[0]).toBe(`error: cannot write ${dir}: it is a folder`);
  });

  it("a --diff base whose resources are not this program's is a usage error naming the field", () => {
    const base = path.join(tempDir(), "base.json");
    fs.writeFileSync(base, JSON.stringify({ version: 1, stack: "example", resources: [{ urn: 5 }] }));
    const r = cli("plan", "--diff", base);
    expect(r.status).toBe(2);
    expect(r.stderr[0]).toBe(`error: ${base} is not a plan written by npm run plan -- --json: resources[0].urn is missing or of the wrong type`);
    expect(r.stderr.join("\n")).not.toMatch(/\n\s+at /);
  });
});
