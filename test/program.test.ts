import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { isComponent, isDeferred, type Declaration } from "../src/estate/declaration";
import type { Estate } from "../src/estate/estate";

const ROOT = path.resolve(__dirname, "..");

/** The example stack's configuration (the stack of the bundled catalog) as the engine hands it to the program: strings, lists as JSON. */
function engineConfig(): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(ROOT, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** What the cloud would compute, as the mocks return it. */
function computed(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "gcp:serviceaccount/account:Account") {
    const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
    return { email, name: `projects/${String(inputs.project)}/serviceAccounts/${email}`, member: `serviceAccount:${email}` };
  }
  if (type === "gcp:cloudidentity/group:Group") {
    return { name: `groups/${(inputs.groupKey as { id: string }).id}` };
  }
  if (type === "gcp:organizations/project:Project") return { number: "123456789012" };
  return {};
}

interface Received {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const received: Received[] = [];
const options = new Map<string, { protect?: boolean; parent?: string; provider?: string }>();
let estate: Estate;
let urns: string[];

beforeAll(async () => {
  pulumi.runtime.setAllConfig(engineConfig());
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        received.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed(args.type, args.inputs as Record<string, unknown>) } };
      },
      call(args) {
        if (args.token === "gcp:organizations/getOrganization:getOrganization") {
          return { directoryCustomerId: "C0mock123", orgId: "123456789012", name: "organizations/123456789012" };
        }
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    "k8s-infra-staging",
    "example",
    false,
  );
  const program = await import("../src/pulumi/program");
  const result = program.deployStaging();
  estate = result.estate;
  // The SDK keeps each resource's options on the object: read protect and parent back from it.
  for (const [urn, r] of result.resources) {
    const internal = r as unknown as { __protect?: boolean; __parentResource?: { __name?: string }; __prov?: { __name?: string } };
    options.set(urn, { protect: internal.__protect, parent: internal.__parentResource?.__name, provider: internal.__prov?.__name });
  }
  urns = await Promise.all(
    [...result.resources.values()].map((r) => new Promise<string>((resolve) => r.urn.apply(resolve))),
  );
});

function expectedInputs(d: Declaration): Record<string, unknown> {
  const byUrn = new Map(estate.declarations.map((x) => [x.urn, x]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.inputs)) {
    // The SDK hands a provider its non-text settings as JSON text (as the CLI does with stack config).
    if (d.type.startsWith("pulumi:providers:") && typeof v !== "string") out[k] = JSON.stringify(v);
    else if (!isDeferred(v)) out[k] = v;
    else if ("lookup" in v) out[k] = `${v.prefix}C0mock123`;
    else {
      const target = byUrn.get(v.ref)!;
      out[k] = computed(target.type, target.inputs as Record<string, unknown>)[v.output];
    }
  }
  return out;
}

describe("the Pulumi program under mocks (bundled catalog, example stack)", () => {
  it("registers exactly the estate's declarations, with the same URNs (types, names and parents)", () => {
    expect([...urns].sort()).toEqual(estate.declarations.map((d) => d.urn).sort());
    expect(received.filter((r) => !r.type.startsWith("k8s-infra:")).length).toBe(
      estate.declarations.filter((d) => !isComponent(d)).length,
    );
  });

  it("passes every declaration's inputs to the provider unchanged, references resolved", () => {
    const byKey = new Map(received.map((r) => [`${r.type}::${r.name}`, r]));
    for (const d of estate.declarations) {
      if (isComponent(d)) continue;
      const got = byKey.get(`${d.type}::${d.name}`);
      expect(got, d.urn).toBeDefined();
      expect(got!.inputs, d.urn).toEqual(expectedInputs(d));
    }
  });

  it("gives each resource the estate's protect flag and parent", () => {
    const byUrn = new Map(estate.declarations.map((x) => [x.urn, x]));
    for (const d of estate.declarations) {
      const o = options.get(d.urn);
      expect(o, d.urn).toBeDefined();
      expect(o!.protect ?? false, d.urn).toBe(d.protect);
      expect(o!.parent, d.urn).toBe(d.parent ? byUrn.get(d.parent)!.name : undefined);
    }
  });

  it("the groups and memberships use the explicit Cloud Identity provider; nothing else does", () => {
    const withProvider = estate.declarations.filter((d) => options.get(d.urn)?.provider !== undefined);
    expect(withProvider.length).toBeGreaterThan(9);
    for (const d of withProvider) {
      expect(["gcp:cloudidentity/group:Group", "gcp:cloudidentity/groupMembership:GroupMembership"], d.urn).toContain(d.type);
      expect(options.get(d.urn)!.provider, d.urn).toBe("cloud-identity");
    }
    expect(withProvider).toHaveLength(estate.declarations.filter((d) => d.provider !== undefined).length);
  });

  it("looks the Workspace customer up from the organization when the stack names none", () => {
    const g = received.find((r) => r.type === "gcp:cloudidentity/group:Group");
    expect(g?.inputs.parent).toBe("customers/C0mock123");
  });
});
