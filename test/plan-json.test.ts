/**
 * `npm run plan -- --json FILE` end to end (child process), on the bundled example catalog.
 * (The real upstream catalog planned in full is tested elsewhere.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT } from "../src/estate/declaration";
import { toPlan, type Plan } from "../src/estate/plan";
import {
  build,
  BUNDLED,
  bundledCatalog,
  copyBundled,
  DEDICATED_URN,
  groupUrn,
  exampleConfig,
  REPO_ROOT,
  T,
  tempDir,
  removeTempDirs,
  sleepUrn,
  WRITERS_GROUPS_URN,
} from "./fixtures/estate/support";

afterAll(removeTempDirs);

const PLAN_KEYS = ["dependsOn", "inputs", "name", "parent", "protect", "retainOnDelete", "type", "urn"];

function plan(...args: string[]) {
  const r = spawnSync("npx", ["tsx", "src/cli/plan.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("plan --json on the bundled catalog", () => {
  let out: string;
  let run: ReturnType<typeof plan>;
  let written: Plan;

  let writtenVersion: unknown;
  beforeAll(() => {
    out = path.join(tempDir("plan"), "plan.json");
    run = plan("--json", out);
    const { version, ...file } = JSON.parse(fs.readFileSync(out, "utf8")) as Plan & { version: unknown };
    writtenVersion = version;
    written = file;
  });

  it("exits 0 and says what it wrote", () => {
    expect(run.status).toBe(0);
    // problems go to stderr: only the note about the skipped project, no error
    expect(run.stderr).not.toMatch(/: error: /);
    expect(run.stderr).toMatch(/^infra\.yaml:\d+:\d+: note: k8s-staging-gcb-untrusted is managed by/m);
    expect(run.stdout).toContain(`${written.resources.length} resources in 6 staging projects written to ${out}`);
  });

  it("is the example stack's plan (the CLI's default stack), sorted by URN, every resource with exactly the plan fields", () => {
    expect(written.stack).toBe("example");
    expect(Object.keys(written).sort()).toEqual(["resources", "stack"]);
    // the file also says which version of the plan format it is
    expect(writtenVersion).toBe(1);
    const urns = written.resources.map((r) => r.urn);
    expect(urns).toEqual([...urns].sort());
    expect(new Set(urns).size).toBe(urns.length);
    for (const r of written.resources) {
      // `provider` only where a resource uses the explicit Cloud Identity provider
      const usesProvider = r.type === "gcp:cloudidentity/group:Group" || r.type === "gcp:cloudidentity/groupMembership:GroupMembership";
      expect(Object.keys(r).sort(), r.urn).toEqual(usesProvider ? [...PLAN_KEYS, "provider"].sort() : PLAN_KEYS);
      expect(typeof r.protect).toBe("boolean");
      expect(typeof r.retainOnDelete).toBe("boolean");
      expect(Array.isArray(r.dependsOn)).toBe(true);
      expect(r.urn.startsWith("urn:pulumi:example::k8s-infra-staging::")).toBe(true);
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
    expect(writersGroups?.inputs).toEqual({ domain: "example.com" });
    expect(writersGroups?.dependsOn).toEqual([]);
  });

  it("every Group, Sleep and GroupMembership has the writers-groups component as parent; grants to a declared group depend on its Sleep", () => {
    const groups = written.resources.filter((r) => r.type === T.group);
    const sleeps = written.resources.filter((r) => r.type === T.sleep);
    const memberships = written.resources.filter((r) => r.type === T.membership);
    expect(groups).toHaveLength(9);
    expect(sleeps).toHaveLength(9);
    expect(memberships.length).toBeGreaterThan(groups.length);
    for (const r of [...groups, ...sleeps, ...memberships]) expect(r.parent, r.urn).toBe(WRITERS_GROUPS_URN);
    const BOSKOS_GROUP = groupUrn("k8s-infra-staging-boskos@example.com");
    const BOSKOS_SLEEP = sleepUrn("k8s-infra-staging-boskos@example.com");
    expect(groups.map((g) => g.urn)).toContain(BOSKOS_GROUP);
    const sleep = sleeps.find((r) => r.urn === BOSKOS_SLEEP);
    expect(sleep?.dependsOn).toEqual([BOSKOS_GROUP]);
    expect(sleep?.inputs).toEqual({ createDuration: "60s" });
    const writer = written.resources.find(
      (r) => r.urn === DEDICATED_URN(T.repositoryIam, "k8s-staging-boskos/gcr.io/roles/artifactregistry.writer/group:k8s-infra-staging-boskos@example.com"),
    );
    expect(writer?.dependsOn).toEqual([DEDICATED_URN(T.repository, "k8s-staging-boskos/gcr.io"), BOSKOS_SLEEP]);
    const admins = written.resources.find(
      (r) => r.urn === DEDICATED_URN(T.bucketIam, "k8s-staging-boskos/roles/storage.objectAdmin/group:k8s-infra-artifact-admins@example.com"),
    );
    expect(admins?.dependsOn).toEqual([DEDICATED_URN(T.bucket, "k8s-staging-boskos")]);
  });

  it("is exactly toPlan() of the estate built in process (refs and lookups kept as data)", () => {
    const expected = toPlan(build(bundledCatalog()));
    expect(written).toEqual(JSON.parse(JSON.stringify(expected)));
    const project = written.resources.find((r) => r.type === T.project && r.name === "k8s-staging-boskos");
    expect(project?.protect).toBe(true);
    const group = written.resources.find((r) => r.type === T.group && r.name === "k8s-infra-staging-boskos@example.com");
    expect((group?.inputs as { parent: unknown }).parent).toEqual({
      lookup: "organization",
      output: "directoryCustomerId",
      organization: "organizations/123456789012",
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

// BUNDLED is the folder the CLI reads by default (its default stack is example; Pulumi.example.yaml catalogRoot: projects, layout projects)
it("the default catalog of the CLI is the bundled one", () => {
  expect(exampleConfig().catalogRoot).toBe("projects");
  expect(exampleConfig().catalogLayout).toBe("projects");
  expect(path.join(REPO_ROOT, exampleConfig().catalogRoot)).toBe(BUNDLED);
});
