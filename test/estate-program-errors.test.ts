/**
 * Spec 5: input errors stop the Pulumi program before it registers a single resource.
 * deployStaging runs under mocks that count every registration; each scenario throws
 * synchronously, so the counter must still be 0 once pending work has drained.
 * The last test is the control: a valid configuration does register resources.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isComponent } from "../src/estate/declaration";
import { copyBundled, REPO_ROOT, removeTempDirs } from "./fixtures/estate/support";

afterAll(removeTempDirs);

type Program = typeof import("../src/pulumi/program");

let registered: string[] = [];
let calls: string[] = [];
let program: Program;

/** The example stack configuration (the stack of the bundled catalog) as the engine hands it over: strings, lists as JSON text. */
function engineConfig(overrides: Record<string, string> = {}): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
  const base = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return { ...base, ...overrides };
}

/** Lets every pending registration reach the mocks. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A copy of the bundled catalog with one invalid image name appended to kind's images.yaml; returns dir and the error's `file:line`. */
function brokenCatalog(): { dir: string; where: string } {
  const dir = copyBundled();
  const rel = "images/k8s-staging-kind/images.yaml";
  const text = fs.readFileSync(path.join(dir, rel), "utf8");
  const body = text.endsWith("\n") ? text : `${text}\n`;
  fs.writeFileSync(path.join(dir, rel), `${body}- name: Not Valid\n  dmap: {}\n`);
  const line = body.split("\n").length; // the appended "- name:" line, 1-based
  return { dir, where: `${rel}:${line}:` };
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(`${args.type}::${args.name}`);
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call(args) {
        calls.push(args.token);
        return { directoryCustomerId: "C0mock123" };
      },
    },
    "k8s-infra-staging",
    "example",
    false,
  );
  program = await import("../src/pulumi/program");
});

function reset(): void {
  registered = [];
  calls = [];
}

describe("deployStaging stops before any resource on input errors", () => {
  it("a broken catalog: throws naming file:line, registers nothing", async () => {
    reset();
    const { dir, where } = brokenCatalog();
    pulumi.runtime.setAllConfig(engineConfig({ "k8s-infra-staging:catalogRoot": dir }));
    let error: unknown;
    try {
      program.deployStaging();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(where);
    expect(message).toContain("nothing is declared");
    await drain();
    expect(registered).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("an empty staging list: throws naming infra.yaml:line, registers nothing", async () => {
    reset();
    const dir = copyBundled();
    const infra = path.join(dir, "infra.yaml");
    const text = fs.readFileSync(infra, "utf8");
    const start = text.indexOf("  staging:\n");
    expect(start).toBeGreaterThan(0);
    const emptied = `${text.slice(0, start)}  staging:\n    managed_by: pulumi/k8s-infra-staging\n    projects: {}\n`;
    fs.writeFileSync(infra, emptied);
    const line = emptied.split("\n").findIndex((l) => l.includes("projects: {}")) + 1;
    pulumi.runtime.setAllConfig(engineConfig({ "k8s-infra-staging:catalogRoot": dir }));
    expect(() => program.deployStaging()).toThrow(`infra.yaml:${line}:`);
    await drain();
    expect(registered).toEqual([]);
  });

  it("a bad configuration key (billingAccount nope): throws naming k8s-infra-staging:billingAccount, registers nothing", async () => {
    reset();
    pulumi.runtime.setAllConfig(engineConfig({ "k8s-infra-staging:billingAccount": "nope" }));
    let error: unknown;
    try {
      program.deployStaging();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("k8s-infra-staging:billingAccount");
    expect(message).toContain("nothing is declared");
    expect(message).not.toContain("organizationId");
    await drain();
    expect(registered).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("a missing required key and an unknown key: both named, registers nothing", async () => {
    reset();
    const config = engineConfig({ "k8s-infra-staging:bogusKey": "x" });
    delete config["k8s-infra-staging:promoterServiceAccount"];
    pulumi.runtime.setAllConfig(config);
    expect(() => program.deployStaging()).toThrow(/k8s-infra-staging:promoterServiceAccount is required/);
    expect(() => program.deployStaging()).toThrow(/k8s-infra-staging:bogusKey/);
    await drain();
    expect(registered).toEqual([]);
  });

  it("control: the valid example configuration (absolute catalogRoot) registers every declared resource", async () => {
    reset();
    pulumi.runtime.setAllConfig(engineConfig({ "k8s-infra-staging:catalogRoot": path.join(REPO_ROOT, "projects") }));
    const { estate, resources } = program.deployStaging();
    await Promise.all([...resources.values()].map((r) => new Promise<string>((resolve) => r.urn.apply(resolve))));
    await drain();
    const resourceCount = estate.declarations.filter((d) => !isComponent(d)).length;
    expect(resourceCount).toBeGreaterThan(300);
    expect(registered.filter((r) => !r.startsWith("k8s-infra:")).length).toBe(resourceCount);
  });
});
