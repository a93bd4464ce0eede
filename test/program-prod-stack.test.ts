/**
 * The Pulumi program on the prod stack (under mocks): it reads the stack's catalog root and
 * refuses the bundled example catalog, or a missing checkout, before registering anything.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers";

type Program = typeof import("../src/pulumi/program");

let registered: string[] = [];
let program: Program;

/** Pulumi.prod.yaml as the engine hands it over (strings; lists as JSON text), with `overrides`. */
function engineConfig(overrides: Record<string, string> = {}): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
  const base = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return { ...base, ...overrides };
}

async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function run(config: Record<string, string>): unknown {
  registered = [];
  pulumi.runtime.setAllConfig(config);
  try {
    program.deployStaging();
  } catch (e) {
    return e;
  }
  return undefined;
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(`${args.type}::${args.name}`);
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call() {
        return { directoryCustomerId: "C0mock123" };
      },
    },
    "k8s-infra-staging",
    "prod",
    false,
  );
  program = await import("../src/pulumi/program");
});

describe("the prod stack", () => {
  it("refuses the bundled example catalog: every @example.com person is named, nothing is registered", async () => {
    const error = run(
      engineConfig({ "k8s-infra-staging:catalogRoot": path.join(REPO_ROOT, "projects"), "k8s-infra-staging:catalogLayout": "projects" }),
    );
    await drain();
    expect(String(error)).toMatch(/^CatalogError: the catalog has \d+ errors; nothing is declared:\n/);
    expect(String(error)).toMatch(/\ngroups\/sig-testing\/groups\.yaml:\d+:\d+: error: [a-z]+@example\.com is a person of the bundled example estate; a real stack refuses @example\.com members/);
    expect(registered).toEqual([]);
  });

  it("without a checkout of the upstream repository: an error saying how to get it, nothing registered", async () => {
    const root = path.resolve(REPO_ROOT, "../k8s.io");
    if (fs.existsSync(root)) return;
    const error = run(engineConfig());
    await drain();
    expect(String(error)).toBe(
      `Error: the catalog root of stack prod, ../k8s.io (${root}), does not exist; clone the upstream repository there (git clone https://github.com/kubernetes/k8s.io ${root}), set k8s-infra-staging:catalogRoot in Pulumi.prod.yaml, or pass --catalog DIR to the offline commands`,
    );
    expect(registered).toEqual([]);
  });

  it("a catalogRoot of the other layout is refused: the stack's layout must be what the root holds", async () => {
    const projects = path.join(REPO_ROOT, "projects");
    const error = run(engineConfig({ "k8s-infra-staging:catalogRoot": projects }));
    await drain();
    expect(String(error)).toBe(`Error: ${projects} has no infra/gcp/infra.yaml, which the k8s.io layout needs; check catalogRoot and catalogLayout`);
    expect(registered).toEqual([]);
  });
});
