/**
 * The program under the real Pulumi Node.js runtime (@pulumi/pulumi cmd/run, started as the
 * language host starts it) against a local stand-in for the engine's gRPC services
 * (test/engine/). What the engine receives must be the plan of the same inputs, declaration for
 * declaration. One runtime start per stack and mode, shared by the assertions.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { formatProblem } from "../src/catalog/problems";
import { PROJECT, readStackConfigFile } from "../src/config";
import { isDeferred } from "../src/estate/declaration";
import { buildEstate, type Estate } from "../src/estate/estate";
import { toPlan, type Plan } from "../src/estate/plan";
import { UNKNOWN, type Registration } from "./engine/stand-in";
import { runProgram, type RunResult } from "./engine/runtime";
import { copySample, K8SIO, removeStalePromotions, repairGroups, TERRAFORM } from "./fixtures/k8sio/sample";
import { build, bundledCatalog, copyBundled, removeTempDirs } from "./fixtures/estate/support";
import { PROD_POLICY, REPO_ROOT } from "./helpers";

afterAll(removeTempDirs);

const ROOT_TYPE = "pulumi:pulumi:Stack";

/** The value the cloud gives a referenced output once the resource exists (what an update sees). */
function cloudValue(target: Plan["resources"][number], output: string): unknown {
  const inputs = target.inputs as Record<string, unknown>;
  if (target.type === "gcp:serviceaccount/account:Account") {
    const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}`, name: `projects/${String(inputs.project)}/serviceAccounts/${email}` }[output];
  }
  return undefined; // a group's name is assigned by Cloud Identity: only checked to be a groups/ id
}

/** Asserts the engine received exactly the plan: same URNs, types, parents, options, dependencies and inputs. */
function expectEngineSawPlan(run: RunResult, plan: Plan, mode: { dryRun: boolean; customerId?: string }): void {
  expect(run.status, run.stderr + run.engine.logs.filter((l) => l.severity >= 3).map((l) => l.message).join("\n")).toBe(0);
  const regs = run.engine.registrations;
  const root = regs[0]!;
  expect(root.type).toBe(ROOT_TYPE);
  expect(root.urn).toBe(`urn:pulumi:${plan.stack}::${PROJECT}::${ROOT_TYPE}::${PROJECT}-${plan.stack}`);
  expect(run.engine.rootUrn()).toBe(root.urn);
  const byUrn = new Map<string, Registration>();
  for (const r of regs.slice(1)) {
    expect(byUrn.has(r.urn), `registered twice: ${r.urn}`).toBe(false);
    byUrn.set(r.urn, r);
  }
  expect([...byUrn.keys()].sort()).toEqual(plan.resources.map((r) => r.urn).sort());
  const planByUrn = new Map(plan.resources.map((r) => [r.urn, r]));

  for (const want of plan.resources) {
    const got = byUrn.get(want.urn)!;
    const where = want.urn;
    expect(got.type, where).toBe(want.type);
    expect(got.parent, where).toBe(want.parent ?? root.urn);
    expect(got.custom, where).toBe(!want.type.startsWith("k8s-infra:"));
    expect(got.protect, where).toBe(want.protect);
    expect(got.retainOnDelete, where).toBe(want.retainOnDelete);
    for (const dep of want.dependsOn) expect(got.dependencies, `${where} depends on ${dep}`).toContain(dep);
    if (want.provider) expect(got.provider.startsWith(`${want.provider}::`), `${where} provider ${got.provider}`).toBe(true);
    else expect(got.provider, where).toBe("");
    const inputs = want.inputs as Record<string, unknown>;
    for (const [key, value] of Object.entries(inputs)) {
      const seen = got.inputs[key];
      if (isDeferred(value) && "ref" in value) {
        // A reference: the engine sees the dependency on that property, and the value once it exists.
        expect(got.propertyDependencies[key], `${where}.${key}`).toContain(value.ref);
        expect(got.dependencies, `${where}.${key}`).toContain(value.ref);
        if (mode.dryRun) expect(seen, `${where}.${key}`).toBe(UNKNOWN);
        else if (value.output === "name" && planByUrn.get(value.ref)!.type === "gcp:cloudidentity/group:Group") expect(seen, `${where}.${key}`).toMatch(/^groups\/\w+$/);
        else expect(seen, `${where}.${key}`).toBe(cloudValue(planByUrn.get(value.ref)!, value.output));
      } else if (isDeferred(value)) {
        // The organization's customer id, looked up by the invoke even in a preview.
        expect(seen, `${where}.${key}`).toBe(mode.customerId === UNKNOWN ? UNKNOWN : `${(value as { prefix: string }).prefix}${mode.customerId ?? "C0standin"}`);
      } else if (want.type === "pulumi:providers:gcp" && typeof value !== "string") {
        // Provider inputs travel as JSON strings (the provider SDK serialises them so).
        expect(JSON.parse(String(seen)), `${where}.${key}`).toEqual(value);
      } else {
        expect(seen, `${where}.${key}`).toEqual(value);
      }
    }
    const extra = Object.keys(got.inputs).filter((k) => !(k in inputs) && !(want.type === "pulumi:providers:gcp" && k === "version"));
    expect(extra, `${where}: inputs the plan does not have`).toEqual([]);
  }
}

/** The stack outputs, as index.ts exports them from the estate. */
function expectStackOutputs(run: RunResult, estate: Estate): void {
  const outputs = run.engine.outputs.get(run.engine.registrations[0]!.urn);
  expect(outputs).toBeDefined();
  expect(Object.keys(outputs!).sort()).toEqual(["promoterGrants", "stagingProjects"]);
  expect(Object.keys(outputs!.stagingProjects as object).sort()).toEqual(estate.projects.map((p) => p.id).sort());
  const first = estate.projects[0]!;
  expect((outputs!.stagingProjects as Record<string, unknown>)[first.id]).toEqual(
    JSON.parse(JSON.stringify({ registries: first.registries, buckets: first.buckets, writersGroups: first.writersGroups, builderAccounts: first.builderAccounts })),
  );
  expect(outputs!.promoterGrants).toEqual(JSON.parse(JSON.stringify(estate.promoterGrants)));
}

describe("the example stack under the real runtime", () => {
  const estate = build(bundledCatalog());
  const plan = toPlan(estate);
  let preview: RunResult;
  let update: RunResult;
  beforeAll(async () => {
    [preview, update] = await Promise.all([runProgram({ stack: "example", dryRun: true }), runProgram({ stack: "example", dryRun: false })]);
  }, 240_000);

  it("a preview registers exactly the plan, references unknown and depended on", () => expectEngineSawPlan(preview, plan, { dryRun: true }));
  it("an update registers exactly the plan, references resolved to what the cloud assigned", () => expectEngineSawPlan(update, plan, { dryRun: false }));
  it("the stack outputs are registered on the root stack resource", () => {
    expectStackOutputs(preview, estate);
    expectStackOutputs(update, estate);
  });
  it("the customer id is looked up once, from the stack's organization", () => {
    expect(preview.engine.invokes).toEqual([{ token: "gcp:organizations/getOrganization:getOrganization", args: { organization: "organizations/123456789012" } }]);
  });
  it("the program starts without the type check (Pulumi.yaml names tsconfig.pulumi.json, noCheck)", () => {
    const project = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
    expect(project).toMatch(/^ {4}tsconfig: tsconfig\.pulumi\.json$/m);
    const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.pulumi.json"), "utf8")) as { compilerOptions: { noCheck?: boolean } };
    expect(tsconfig.compilerOptions.noCheck).toBe(true);
  });
});

describe("a preview before the Workspace customer id is known", () => {
  let run: RunResult;
  const plan = toPlan(build(bundledCatalog()));
  beforeAll(async () => {
    run = await runProgram({ stack: "example", dryRun: true, directoryCustomerId: UNKNOWN });
  }, 240_000);

  it("still registers every group, under writers-groups, with its parent customer unknown", () => {
    expectEngineSawPlan(run, plan, { dryRun: true, customerId: UNKNOWN });
    const groups = run.engine.registrations.filter((r) => r.type === "gcp:cloudidentity/group:Group");
    expect(groups.length).toBe(plan.resources.filter((r) => r.type === "gcp:cloudidentity/group:Group").length);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(g.parent).toBe("urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:WritersGroups::writers-groups");
      expect(g.inputs.parent).toBe(UNKNOWN);
    }
  });
});

describe("the prod stack on the real sample under the real runtime", () => {
  let root: string;
  let plan: Plan;
  let estate: Estate;
  let preview: RunResult;
  let update: RunResult;
  beforeAll(async () => {
    root = copySample();
    const migrated = spawnSync("npx", ["tsx", "src/cli/migrate.ts", "--terraform", path.join(root, TERRAFORM), "--write"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (migrated.status !== 0) throw new Error(migrated.stderr);
    repairGroups(root);
    removeStalePromotions(root, PROD_POLICY);
    const config = readStackConfigFile(REPO_ROOT, "prod");
    const result = loadCatalog(root, PROD_POLICY, K8SIO);
    if (!result.catalog) throw new Error(result.problems.map(formatProblem).join("\n"));
    estate = buildEstate(result.catalog, config, "prod");
    plan = toPlan(estate);
    const overrides = { config: { "k8s-infra-staging:catalogRoot": root } };
    // One after the other: each is a few thousand registrations.
    preview = await runProgram({ stack: "prod", dryRun: true, ...overrides });
    update = await runProgram({ stack: "prod", dryRun: false, ...overrides });
  }, 600_000);

  it("a preview registers exactly the plan of the real estate", () => {
    expect(plan.resources.length).toBeGreaterThan(4000);
    expectEngineSawPlan(preview, plan, { dryRun: true });
  });
  it("an update registers exactly the plan of the real estate", () => expectEngineSawPlan(update, plan, { dryRun: false }));
  it("the stack outputs are registered on the root stack resource", () => expectStackOutputs(update, estate));
});

describe("input errors stop the runtime before a single resource", () => {
  const failed = (run: RunResult) => ({
    custom: run.engine.registrations.filter((r) => r.custom).length,
    errors: run.engine.logs.filter((l) => l.severity === 3).map((l) => l.message),
  });
  let catalogError: RunResult;
  let configError: RunResult;
  let emptyList: RunResult;
  beforeAll(async () => {
    const broken = copyBundled();
    fs.writeFileSync(path.join(broken, "images", "k8s-staging-kind", "images.yaml"), "- name: kindnetd\n  dmap:\n    \"sha256:123\": [\"v1\"]\n");
    const empty = copyBundled();
    fs.writeFileSync(path.join(empty, "infra.yaml"), "infra:\n  staging:\n    projects: {}\n");
    [catalogError, configError, emptyList] = await Promise.all([
      runProgram({ stack: "example", dryRun: true, config: { "k8s-infra-staging:catalogRoot": broken } }),
      runProgram({ stack: "example", dryRun: true, config: { "k8s-infra-staging:billingAccount": "not-an-account" } }),
      runProgram({ stack: "example", dryRun: true, config: { "k8s-infra-staging:catalogRoot": empty } }),
    ]);
  }, 240_000);

  it("a catalog error: non-zero exit, the file and line in the engine's error, zero resources", () => {
    expect(catalogError.status).not.toBe(0);
    const { custom, errors } = failed(catalogError);
    expect(custom).toBe(0);
    expect(errors.join("\n")).toMatch(/images\/k8s-staging-kind\/images\.yaml:3:\d+: error: .*sha256/);
  });
  it("a bad config key: non-zero exit, the key and what to change, zero resources", () => {
    expect(configError.status).not.toBe(0);
    const { custom, errors } = failed(configError);
    expect(custom).toBe(0);
    expect(errors.join("\n")).toContain("billingAccount");
    expect(errors.join("\n")).toContain("must look like 018801-93540E-22A20E");
  });
  it("an empty staging list: non-zero exit, refused, zero resources", () => {
    expect(emptyList.status).not.toBe(0);
    const { custom, errors } = failed(emptyList);
    expect(custom).toBe(0);
    expect(errors.join("\n")).toMatch(/no staging project|empty/);
  });
});
