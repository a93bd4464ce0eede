/**
 * `npm run plan -- --json FILE` end to end (child process), and the real upstream catalog
 * (../shared/k8sio-sample) planned in full.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { formatProblem } from "../src/catalog/problems";
import { policyOf } from "../src/config";
import { COMPONENT } from "../src/estate/declaration";
import { toPlan, type Plan } from "../src/estate/plan";
import {
  build,
  BUNDLED,
  bundledCatalog,
  copyBundled,
  DEDICATED_URN,
  groupUrn,
  prodConfig,
  REPO_ROOT,
  T,
  tempDir,
  removeTempDirs,
  WRITERS_GROUPS_URN,
} from "./fixtures/estate/support";

afterAll(removeTempDirs);

const SAMPLE = path.resolve(REPO_ROOT, "../shared/k8sio-sample");
const PLAN_KEYS = ["dependsOn", "inputs", "name", "parent", "protect", "retainOnDelete", "type", "urn"];

function plan(...args: string[]) {
  const r = spawnSync("npx", ["tsx", "src/cli/plan.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("plan --json on the bundled catalog", () => {
  let out: string;
  let run: ReturnType<typeof plan>;
  let written: Plan;

  beforeAll(() => {
    out = path.join(tempDir("plan"), "plan.json");
    run = plan("--json", out);
    written = JSON.parse(fs.readFileSync(out, "utf8")) as Plan;
  });

  it("exits 0 and says what it wrote", () => {
    expect(run.status).toBe(0);
    // problems go to stderr: only the note about the skipped project, no error
    expect(run.stderr).not.toMatch(/: error: /);
    expect(run.stderr).toMatch(/^infra\.yaml:\d+:\d+: note: k8s-staging-gcb-untrusted is managed by/m);
    expect(run.stdout).toContain(`${written.resources.length} resources in 6 staging projects written to ${out}`);
  });

  it("is the prod stack's plan, sorted by URN, every resource with exactly the plan fields", () => {
    expect(written.stack).toBe("prod");
    expect(Object.keys(written).sort()).toEqual(["resources", "stack"]);
    const urns = written.resources.map((r) => r.urn);
    expect(urns).toEqual([...urns].sort());
    expect(new Set(urns).size).toBe(urns.length);
    for (const r of written.resources) {
      expect(Object.keys(r).sort(), r.urn).toEqual(PLAN_KEYS);
      expect(typeof r.protect).toBe("boolean");
      expect(typeof r.retainOnDelete).toBe("boolean");
      expect(Array.isArray(r.dependsOn)).toBe(true);
      expect(r.urn.startsWith("urn:pulumi:prod::k8s-infra-staging::")).toBe(true);
    }
  });

  it("has the component resources and the components of each kind", () => {
    const components = written.resources.filter((r) => r.type.startsWith("k8s-infra:"));
    expect(components.map((c) => `${c.type} ${c.name}`).sort()).toEqual(
      [
        `${COMPONENT.dedicated} k8s-staging-boskos`,
        `${COMPONENT.dedicated} k8s-staging-cluster-api-gcp`,
        `${COMPONENT.dedicated} k8s-staging-kind`,
        `${COMPONENT.dedicated} k8s-staging-kueue`,
        `${COMPONENT.dedicated} k8s-staging-releng`,
        `${COMPONENT.shared} k8s-staging-images`,
        `${COMPONENT.promoter} image-promoter`,
        `${COMPONENT.writersGroups} writers-groups`,
      ].sort(),
    );
    expect(components).toHaveLength(8);
    expect(COMPONENT.dedicated).toBe("k8s-infra:staging:DedicatedStagingProject");
    expect(COMPONENT.writersGroups).toBe("k8s-infra:staging:WritersGroups");
    for (const c of components) expect(c.parent).toBeNull();
    const writersGroups = components.find((c) => c.type === COMPONENT.writersGroups);
    expect(writersGroups?.urn).toBe(WRITERS_GROUPS_URN);
    expect(writersGroups?.inputs).toEqual({ domain: "kubernetes.io" });
    expect(writersGroups?.dependsOn).toEqual([]);
  });

  it("every Group and GroupMembership has the writers-groups component as parent; grants to a declared group depend on its Group", () => {
    const groups = written.resources.filter((r) => r.type === T.group);
    const memberships = written.resources.filter((r) => r.type === T.membership);
    expect(groups).toHaveLength(9);
    expect(memberships.length).toBeGreaterThan(groups.length);
    for (const r of [...groups, ...memberships]) expect(r.parent, r.urn).toBe(WRITERS_GROUPS_URN);
    const BOSKOS_GROUP = groupUrn("k8s-infra-staging-boskos@kubernetes.io");
    expect(groups.map((g) => g.urn)).toContain(BOSKOS_GROUP);
    const writer = written.resources.find(
      (r) => r.urn === DEDICATED_URN(T.repositoryIam, "k8s-staging-boskos/gcr.io/roles/artifactregistry.writer/group:k8s-infra-staging-boskos@kubernetes.io"),
    );
    expect(writer?.dependsOn).toEqual([DEDICATED_URN(T.repository, "k8s-staging-boskos/gcr.io"), BOSKOS_GROUP]);
    const admins = written.resources.find(
      (r) => r.urn === DEDICATED_URN(T.bucketIam, "k8s-staging-boskos/roles/storage.objectAdmin/group:k8s-infra-artifact-admins@kubernetes.io"),
    );
    expect(admins?.dependsOn).toEqual([DEDICATED_URN(T.bucket, "k8s-staging-boskos")]);
  });

  it("is exactly toPlan() of the estate built in process (refs and lookups kept as data)", () => {
    const expected = toPlan(build(bundledCatalog()));
    expect(written).toEqual(JSON.parse(JSON.stringify(expected)));
    const project = written.resources.find((r) => r.type === T.project && r.name === "k8s-staging-boskos");
    expect(project?.protect).toBe(true);
    const group = written.resources.find((r) => r.type === T.group && r.name === "k8s-infra-staging-boskos@kubernetes.io");
    expect((group?.inputs as { parent: unknown }).parent).toEqual({
      lookup: "organization",
      output: "directoryCustomerId",
      organization: "organizations/758905017065",
      prefix: "customers/",
    });
  });
});

describe("plan --json on a broken catalog", () => {
  it("exits 1, reports file:line on stderr and writes no file", () => {
    const dir = copyBundled();
    const rel = "manifests/k8s-staging-kind/promoter-manifest.yaml";
    const text = fs.readFileSync(path.join(dir, rel), "utf8");
    fs.writeFileSync(path.join(dir, rel), text.replace("src: true", "src: true\n    colour: blue"));
    const out = path.join(tempDir("plan-broken"), "plan.json");
    const run = plan("--catalog", dir, "--json", out);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${rel.replace(/[.]/g, "\\.")}:\\d+:\\d+: error: `, "m"));
    expect(run.stdout).toContain("nothing is planned");
    expect(fs.existsSync(out)).toBe(false);
  });

  it("control: the same copy, unbroken, plans", () => {
    const dir = copyBundled();
    const out = path.join(tempDir("plan-ok"), "plan.json");
    const run = plan("--catalog", dir, "--json", out);
    expect(run.status).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
  });
});

/**
 * The upstream catalog, assembled with symlinks: infra.yaml, images/ and groups/ as they are,
 * manifests/ limited to those that validate against today's 22 production roots.
 */
function assembleSample(): string {
  const reg = path.join(SAMPLE, "registry.k8s.io");
  const root = tempDir("k8sio");
  fs.symlinkSync(path.join(SAMPLE, "infra/gcp/infra.yaml"), path.join(root, "infra.yaml"));

  // images/: everything but ingress-nginx (one of its digests has 63 hex characters upstream)
  fs.mkdirSync(path.join(root, "images"));
  for (const d of fs.readdirSync(path.join(reg, "images"))) {
    if (d === "k8s-staging-ingress-nginx") continue;
    fs.symlinkSync(path.join(reg, "images", d), path.join(root, "images", d));
  }

  // manifests/: only those that validate
  fs.mkdirSync(path.join(root, "manifests"));
  for (const d of fs.readdirSync(path.join(reg, "manifests"))) {
    if (d === "k8s-staging-boskos" || d === "k8s-staging-ingress-nginx") continue; // boskos: a region twice, one missing
    if (!fs.existsSync(path.join(reg, "images", d, "images.yaml"))) continue;
    const text = fs.readFileSync(path.join(reg, "manifests", d, "promoter-manifest.yaml"), "utf8");
    if (/\b(us|eu|asia)\.gcr\.io\b/.test(text)) continue;
    if (!text.includes("europe-west10-docker.pkg.dev")) continue;
    fs.symlinkSync(path.join(reg, "manifests", d), path.join(root, "manifests", d));
  }

  // groups/: every folder and file, but restrictions.yaml is a copy allowing the 3 groups the older file lacks
  fs.mkdirSync(path.join(root, "groups"));
  for (const d of fs.readdirSync(path.join(SAMPLE, "groups"))) {
    if (d === "restrictions.yaml") continue;
    fs.symlinkSync(path.join(SAMPLE, "groups", d), path.join(root, "groups", d));
  }
  let restrictions = fs.readFileSync(path.join(SAMPLE, "groups/restrictions.yaml"), "utf8");
  for (const [file, email] of [
    ["sig-instrumentation/groups.yaml", "k8s-infra-staging-resource-state-met@kubernetes.io"],
    ["sig-node/groups.yaml", "k8s-infra-staging-dra-driver-google@kubernetes.io"],
    ["sig-release/groups.yaml", "k8s-infra-staging-mirror@kubernetes.io"],
  ] as const) {
    const anchor = `  - path: "${file}"\n    allowedGroups:\n`;
    if (!restrictions.includes(anchor)) throw new Error(`restrictions.yaml of the sample has no entry for ${file}`);
    restrictions = restrictions.replace(anchor, `${anchor}      - "^${email.replace(/\./g, "\\\\.")}$"\n`);
  }
  fs.writeFileSync(path.join(root, "groups/restrictions.yaml"), restrictions);
  return root;
}

describe("the real upstream catalog (k8sio-sample) plans in full", () => {
  let dir: string;
  beforeAll(() => {
    dir = assembleSample();
  });

  it("the assembled folder holds most manifests and the three extra allowed groups", () => {
    const manifests = fs.readdirSync(path.join(dir, "manifests"));
    expect(manifests.length).toBeGreaterThan(50);
    expect(manifests).not.toContain("k8s-staging-boskos");
    expect(fs.readFileSync(path.join(dir, "groups/restrictions.yaml"), "utf8")).toContain("k8s-infra-staging-mirror@kubernetes");
  });

  it("control: with the sample's own restrictions.yaml exactly those three groups are refused", () => {
    const copy = assembleSample();
    fs.copyFileSync(path.join(SAMPLE, "groups/restrictions.yaml"), path.join(copy, "groups/restrictions.yaml"));
    const errors = loadCatalog(copy, policyOf(prodConfig())).problems.filter((p) => p.severity === "error");
    expect(errors.map((e) => e.file).sort()).toEqual([
      "groups/sig-instrumentation/groups.yaml",
      "groups/sig-node/groups.yaml",
      "groups/sig-release/groups.yaml",
    ]);
    for (const e of errors) expect(e.message).toContain("restrictions.yaml does not allow");
  });

  it("loads with no error, builds, and declares a Project for every staging project", () => {
    const config = prodConfig();
    const result = loadCatalog(dir, policyOf(config));
    const errors = result.problems.filter((p) => p.severity === "error").map(formatProblem);
    expect(errors).toEqual([]);
    expect(result.catalog).toBeDefined();

    const infra = parse(fs.readFileSync(path.join(dir, "infra.yaml"), "utf8")) as { infra: { staging: { projects: Record<string, unknown> } } };
    const ids = Object.keys(infra.infra.staging.projects).filter((id) => id !== "k8s-staging-gcb-untrusted");
    expect(ids.length).toBeGreaterThan(80);
    expect(result.catalog!.skipped.map((s) => s.id)).toEqual(["k8s-staging-gcb-untrusted"]);

    const estate = build(result.catalog!, config);
    expect(estate.projects).toHaveLength(ids.length);
    expect(estate.projects.map((p) => p.id).sort()).toEqual([...ids].sort());
    const projectNames = new Set(estate.declarations.filter((d) => d.type === T.project).map((d) => d.name));
    for (const id of ids) expect(projectNames.has(id), id).toBe(true);
    expect(projectNames.size).toBe(ids.length);

    const plan = toPlan(estate);
    expect(new Set(plan.resources.map((r) => r.urn)).size).toBe(plan.resources.length);
    expect(estate.promoterGrants).toHaveLength(22);

    // one component per project, plus image-promoter and writers-groups; every Group under writers-groups
    expect(plan.resources.filter((r) => r.type.startsWith("k8s-infra:"))).toHaveLength(ids.length + 2);
    const groups = plan.resources.filter((r) => r.type === T.group);
    expect(groups.length).toBeGreaterThan(50);
    for (const g of groups) expect(g.parent, g.urn).toBe(WRITERS_GROUPS_URN);
    // every grant to a declared group waits for it; none other waits for a Group
    const declared = new Set(groups.map((g) => g.name));
    let waiting = 0;
    for (const r of plan.resources) {
      const m = r.inputs.member;
      const email = typeof m === "string" && m.startsWith("group:") ? m.slice("group:".length) : undefined;
      const groupDeps = r.dependsOn.filter((u) => u.includes(`$${T.group}::`));
      if (email && declared.has(email)) {
        expect(groupDeps, r.urn).toEqual([groupUrn(email)]);
        waiting++;
      } else expect(groupDeps, r.urn).toEqual([]);
    }
    expect(waiting).toBeGreaterThan(groups.length);
    console.log(`k8sio-sample: ${plan.resources.length} resources in ${estate.projects.length} staging projects`);
  });

  it("the CLI plans it too (exit 0, same resource count as in process)", () => {
    const out = path.join(tempDir("plan-k8sio"), "plan.json");
    const run = plan("--catalog", dir, "--json", out);
    expect(run.status).toBe(0);
    const written = JSON.parse(fs.readFileSync(out, "utf8")) as Plan;
    const inProcess = toPlan(build(loadCatalog(dir, policyOf(prodConfig())).catalog!));
    expect(written.resources.length).toBe(inProcess.resources.length);
    expect(written.resources.map((r) => r.urn)).toEqual(inProcess.resources.map((r) => r.urn));
  });
});

// BUNDLED is the folder the CLI reads by default (Pulumi.prod.yaml catalogDir: projects)
it("the default catalog of the CLI is the bundled one", () => {
  expect(prodConfig().catalogDir).toBe("projects");
  expect(path.join(REPO_ROOT, prodConfig().catalogDir)).toBe(BUNDLED);
});
