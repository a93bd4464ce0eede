/** Spec section 5 (safety), checked on the estate built from the bundled catalog. */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { policyOf } from "../src/config";
import { COMPONENT, isComponent, isDeferred, type Declaration } from "../src/estate/declaration";
import type { Estate } from "../src/estate/estate";
import { toPlan } from "../src/estate/plan";
import {
  BUNDLED,
  REPO_ROOT,
  build,
  bundledCatalog,
  copyBundled,
  declarationsJson,
  groupDependencies,
  groupUrn,
  iamGrants,
  loadOk,
  loose,
  ofType,
  exampleConfig,
  sleepDependencies,
  sleepUrn,
  STACK,
  T,
  tempDir,
  removeTempDirs,
  WRITERS_GROUPS_URN,
} from "./fixtures/estate/support";

afterAll(removeTempDirs);

let estate: Estate;
beforeAll(() => {
  estate = build(bundledCatalog());
});

/** Every file below `dir`, relative, sorted. */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (fs.statSync(path.join(dir, child)).isDirectory()) visit(child);
      else out.push(child);
    }
  };
  visit("");
  return out;
}

/** Rewrites a YAML file of `dir` through `edit` (comments and scalars kept as written). */
function editYaml(dir: string, rel: string, edit: (doc: Document) => void): void {
  const file = path.join(dir, rel);
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
}

function reverseAt(doc: Document, at: (string | number)[]): void {
  const node = at.length === 0 ? doc.contents : doc.getIn(at, true);
  if (isMap(node) || isSeq(node)) node.items.reverse();
}

/** URNs a declaration points at: parent, dependsOn and references in its inputs (at any depth). */
function pointers(d: Declaration): string[] {
  const refs: string[] = [];
  const visit = (v: unknown) => {
    if (isDeferred(v)) {
      if ("ref" in v) refs.push(v.ref);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(visit);
  };
  visit(d.inputs);
  return [...(d.parent ? [d.parent] : []), ...d.dependsOn, ...refs];
}

describe("5: IAM is additive only", () => {
  it("no declared type is an IAMBinding or IAMPolicy (authoritative) resource", () => {
    const types = new Set(estate.declarations.map((d) => d.type));
    expect(types.size).toBeGreaterThan(10);
    for (const t of types) {
      expect(t.toLowerCase(), t).not.toContain("iambinding");
      expect(t.toLowerCase(), t).not.toContain("iampolicy");
    }
    const iamTypes = [...types].filter((t) => /iam/i.test(t)).sort();
    expect(iamTypes).toEqual([
      "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
      "gcp:projects/iAMMember:IAMMember",
      "gcp:serviceaccount/iAMMember:IAMMember",
      "gcp:storage/bucketIAMMember:BucketIAMMember",
    ]);
  });

  it("no source file under src/ uses an IAMBinding / IAMPolicy class or type token", () => {
    const src = path.join(REPO_ROOT, "src");
    // src/policy/ names the authoritative types to refuse them (rule no-authoritative-iam-or-keys).
    const files = filesBelow(src).filter((f) => f.endsWith(".ts") && !f.startsWith("policy/"));
    expect(files).toContain("estate/parts.ts");
    expect(files).toContain("pulumi/materialise.ts");
    const offenders: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(src, f), "utf8");
      text.split("\n").forEach((line, i) => {
        if (/iam_?binding|iam_?policy/i.test(line)) offenders.push(`src/${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it("every IAM declaration grants one role to one member", () => {
    const iam = estate.declarations.filter((d) => /iam/i.test(d.type)).map(loose);
    expect(iam.length).toBeGreaterThan(100);
    for (const d of iam) {
      expect(typeof d.inputs.role, d.urn).toBe("string");
      expect(d.inputs.member, d.urn).toBeDefined();
      expect(d.inputs).not.toHaveProperty("members");
      expect(d.inputs).not.toHaveProperty("policyData");
    }
  });
});

describe("5: protection", () => {
  it("projects, repositories and buckets are protected; projects have deletionPolicy PREVENT", () => {
    const projects = ofType(estate, T.project);
    const repositories = ofType(estate, T.repository);
    const buckets = ofType(estate, T.bucket);
    expect(projects).toHaveLength(6);
    expect(repositories).toHaveLength(14);
    expect(buckets).toHaveLength(11);
    for (const d of [...projects, ...repositories, ...buckets]) expect(d.protect, d.urn).toBe(true);
    for (const p of projects) expect(p.inputs.deletionPolicy, p.urn).toBe("PREVENT");
    for (const b of buckets) expect(b.inputs.forceDestroy ?? false, b.urn).toBe(false);
  });

  it("Services are retained on delete and never disabled on destroy", () => {
    const services = ofType(estate, T.service);
    expect(services.length).toBe(5 * 13 + 2 + 4);
    for (const s of services) {
      expect(s.retainOnDelete, s.urn).toBe(true);
      expect(s.inputs.disableOnDestroy, s.urn).toBe(false);
    }
  });

  it("only projects, repositories, buckets, groups and service accounts are protected, only Services retained (nothing else is silently kept)", () => {
    const protectedTypes = new Set(estate.declarations.filter((d) => d.protect).map((d) => d.type));
    expect([...protectedTypes].sort()).toEqual([T.repository, T.project, T.bucket, T.group, T.account].sort());
    for (const d of estate.declarations.filter((x) => x.type === T.group || x.type === T.account)) expect(d.protect, d.urn).toBe(true);
    const retained = new Set(estate.declarations.filter((d) => d.retainOnDelete).map((d) => d.type));
    expect([...retained]).toEqual([T.service]);
  });
});

describe("5: reordering a file changes nothing", () => {
  /** A copy of the bundled catalog with every list and map reversed. */
  function reversedCopy(): string {
    const dir = copyBundled();
    editYaml(dir, "infra.yaml", (doc) => {
      reverseAt(doc, []);
      reverseAt(doc, ["infra"]);
      reverseAt(doc, ["infra", "staging", "projects"]);
      reverseAt(doc, ["infra", "staging", "projects", "k8s-staging-images", "repositories"]);
    });
    for (const rel of filesBelow(dir).filter((f) => f.endsWith("/groups.yaml"))) {
      editYaml(dir, rel, (doc) => {
        const groups = doc.get("groups", true);
        if (!isSeq(groups)) return;
        groups.items.reverse();
        groups.items.forEach((_, i) => {
          reverseAt(doc, ["groups", i, "members"]);
          reverseAt(doc, ["groups", i, "managers"]);
        });
      });
    }
    for (const rel of filesBelow(dir).filter((f) => f.endsWith("/images.yaml"))) {
      editYaml(dir, rel, (doc) => {
        const images = doc.contents;
        if (!isSeq(images)) return;
        images.items.reverse();
        images.items.forEach((_, i) => reverseAt(doc, [i, "dmap"]));
      });
    }
    return dir;
  }

  it("the reversed copy really is reversed", () => {
    const dir = reversedCopy();
    const infra = fs.readFileSync(path.join(dir, "infra.yaml"), "utf8");
    expect(infra.indexOf("k8s-staging-images:")).toBeLessThan(infra.indexOf("k8s-staging-boskos:"));
    expect(infra.indexOf("node-readiness-controller:")).toBeLessThan(infra.indexOf("kro:"));
    expect(infra.indexOf("staging:")).toBeLessThan(infra.indexOf("prod:"));
    const kueue = fs.readFileSync(path.join(dir, "groups/sig-scheduling/groups.yaml"), "utf8");
    expect(kueue.indexOf("ivan@example.com")).toBeLessThan(kueue.indexOf("grace@example.com"));
    const testing = fs.readFileSync(path.join(dir, "groups/sig-testing/groups.yaml"), "utf8");
    expect(testing.indexOf("k8s-infra-staging-kind@")).toBeLessThan(testing.indexOf("k8s-infra-staging-boskos@"));
    const kro = fs.readFileSync(path.join(dir, "images/k8s-staging-kro/images.yaml"), "utf8");
    expect(kro.indexOf("name: charts/kro")).toBeLessThan(kro.indexOf("name: kro\n"));
    expect(kro).not.toBe(fs.readFileSync(path.join(BUNDLED, "images/k8s-staging-kro/images.yaml"), "utf8"));
  });

  it("gives the identical toPlan() JSON and the identical declarations in the identical order", () => {
    const original = build(loadOk(BUNDLED));
    const reversed = build(loadOk(reversedCopy()));
    expect(JSON.stringify(toPlan(reversed))).toBe(JSON.stringify(toPlan(original)));
    expect(declarationsJson(reversed)).toBe(declarationsJson(original));
    expect(reversed.projects).toEqual(original.projects);
  });

  it("two runs on the same inputs give identical declarations in identical order", () => {
    const first = build(loadOk(BUNDLED));
    const second = build(loadOk(BUNDLED));
    expect(second.declarations.map((d) => d.urn)).toEqual(first.declarations.map((d) => d.urn));
    expect(declarationsJson(second)).toBe(declarationsJson(first));
    expect(JSON.stringify(toPlan(second))).toBe(JSON.stringify(toPlan(first)));
  });

  it("the plan is sorted by URN and has no duplicate URN", () => {
    const urns = toPlan(estate).resources.map((r) => r.urn);
    expect(urns).toEqual([...urns].sort());
    expect(new Set(urns).size).toBe(urns.length);
    expect(urns).toHaveLength(estate.declarations.length);
  });
});

describe("5: names derive from ids, never from positions", () => {
  /** A copy of the bundled catalog with `entry` (a new project) inserted as the FIRST staging project. */
  function withFirstProject(id: string, value: Record<string, unknown> | null): string {
    const dir = copyBundled();
    editYaml(dir, "infra.yaml", (doc) => {
      const projects = doc.getIn(["infra", "staging", "projects"], true);
      if (!isMap(projects)) throw new Error("infra.staging.projects is not a map");
      projects.items.unshift(doc.createPair(id, value));
    });
    const text = fs.readFileSync(path.join(dir, "infra.yaml"), "utf8");
    expect(text.indexOf(`${id}:`)).toBeLessThan(text.indexOf("k8s-staging-boskos:"));
    return dir;
  }

  /** Gives the writers group of a new project `id` its groups.yaml entry (a group without one is a catalog error). */
  function withGroupEntry(dir: string, id: string): string {
    const name = `k8s-infra-staging-${id.slice("k8s-staging-".length)}`;
    const rel = `groups/sig-${name}/groups.yaml`;
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(
      path.join(dir, rel),
      ["groups:", `  - email-id: ${name}@example.com`, `    name: ${name}`, "    settings:", '      ReconcileMembers: "true"', "    members:", "      - newcomer@example.com", ""].join("\n"),
    );
    editYaml(dir, "groups/restrictions.yaml", (doc) => {
      const list = doc.get("restrictions", true);
      if (!isSeq(list)) throw new Error("groups/restrictions.yaml has no restrictions list");
      list.items.unshift(doc.createNode({ path: `sig-${name}/groups.yaml`, allowedGroups: [`^${name}@example.com$`] }));
    });
    return dir;
  }

  it("adding a project at the start of infra.yaml leaves every existing declaration as it was", () => {
    const before = build(loadOk(BUNDLED));
    for (const id of ["k8s-staging-aaa-new", "k8s-staging-zzz-new"]) {
      const after = build(loadOk(withGroupEntry(withFirstProject(id, null), id)));
      const byUrn = new Map(after.declarations.map((d) => [d.urn, d]));
      for (const d of before.declarations) expect(byUrn.get(d.urn), d.urn).toEqual(d);
      const added = after.declarations.filter((d) => !before.declarations.some((b) => b.urn === d.urn));
      expect(added.length).toBeGreaterThan(40);
      for (const d of added) expect(d.urn, d.urn).toContain(id.slice("k8s-staging-".length));
    }
  });

  it("URNs are made of type and ids: the project's URN names the id", () => {
    for (const p of ofType(estate, T.project)) {
      expect(p.urn).toBe(`urn:pulumi:example::k8s-infra-staging::${p.urn.split("::")[2]}::${String(p.inputs.projectId)}`);
    }
    for (const d of estate.declarations) expect(d.urn.endsWith(`::${d.name}`), d.urn).toBe(true);
  });

  // A URN carries its parent's type. Writers groups used to be declared under the component of the first
  // project using them, so a new dedicated project sorting before k8s-staging-images and sharing the kro
  // group moved that Group (SharedStagingProject$... -> DedicatedStagingProject$...): Pulumi would have
  // deleted the Google Group and its memberships and created them again. Every writers group now sits
  // under the one fixed writers-groups component, whichever project uses it.
  it("control for the test below: that catalog is valid and declares the kro group once", () => {
    const after = build(loadOk(withFirstProject("k8s-staging-aaa-new", { writers: "k8s-infra-staging-kro@example.com" })));
    expect(ofType(after, T.group).filter((g) => g.name === "k8s-infra-staging-kro@example.com")).toHaveLength(1);
    expect(after.projects.map((p) => p.id)).toContain("k8s-staging-aaa-new");
  });

  it("a new project sharing an existing writers group leaves that Group's URN unchanged", () => {
    const before = build(loadOk(BUNDLED));
    const after = build(loadOk(withFirstProject("k8s-staging-aaa-new", { writers: "k8s-infra-staging-kro@example.com" })));
    const urns = new Set(after.declarations.map((d) => d.urn));
    const lost = before.declarations.filter((d) => !urns.has(d.urn)).map((d) => d.urn);
    expect(lost).toEqual([]);
    // the kro Group and its memberships are declared exactly as before, under writers-groups
    const KRO = groupUrn("k8s-infra-staging-kro@example.com");
    const kroBefore = before.declarations.filter((d) => d.urn === KRO || JSON.stringify(d.inputs).includes(`"ref":"${KRO}"`));
    expect(kroBefore.length).toBe(3); // the Group and its two memberships
    const KRO_SLEEP = sleepUrn("k8s-infra-staging-kro@example.com");
    const kroSleep = before.declarations.filter((d) => d.urn === KRO_SLEEP);
    expect(kroSleep).toHaveLength(1); // and the propagation pause after the Group
    for (const d of [...kroBefore, ...kroSleep]) {
      expect(d.parent, d.urn).toBe(WRITERS_GROUPS_URN);
      expect(after.declarations.find((x) => x.urn === d.urn), d.urn).toEqual(d);
    }
    // the new project's grants to the shared group wait for that same Group's pause (and on no Group directly)
    const newGrants = iamGrants(after).filter((d) => d.inputs.member === "group:k8s-infra-staging-kro@example.com" && d.name.includes("aaa-new"));
    expect(newGrants.length).toBeGreaterThanOrEqual(9);
    for (const g of newGrants) {
      expect(sleepDependencies(g), g.urn).toEqual([KRO_SLEEP]);
      expect(groupDependencies(g), g.urn).toEqual([]);
    }
    // and no group is declared for the new project's id
    expect(ofType(after, T.group).map((g) => g.name)).not.toContain("k8s-infra-staging-aaa-new@example.com");
  });
});

describe("5: dependencies", () => {
  const NEEDS: Record<string, string> = {
    [T.repository]: "artifactregistry.googleapis.com",
    [T.bucket]: "storage-api.googleapis.com",
    [T.account]: "iam.googleapis.com",
  };

  it("every repository, bucket and service account waits for its API's Service in the same project", () => {
    let checked = 0;
    const services = ofType(estate, T.service);
    for (const d of estate.declarations.map(loose)) {
      const api = NEEDS[d.type];
      if (!api) continue;
      const service = services.find((s) => s.inputs.project === d.inputs.project && s.inputs.service === api);
      expect(service, `${d.urn} has no ${api} in ${String(d.inputs.project)}`).toBeDefined();
      expect(d.dependsOn, d.urn).toContain(service!.urn);
      expect(service!.parent, d.urn).toBe(d.parent);
      checked++;
    }
    expect(checked).toBe(14 + 11 + 9);
  });

  it("every parent, dependsOn and reference URN is declared, earlier (creation order)", () => {
    const seen = new Set<string>();
    let pointersChecked = 0;
    for (const d of estate.declarations) {
      for (const u of pointers(d)) {
        expect(seen.has(u), `${d.urn} -> ${u}`).toBe(true);
        pointersChecked++;
      }
      seen.add(d.urn);
    }
    expect(pointersChecked).toBeGreaterThan(estate.declarations.length);
    const plan = toPlan(estate);
    const planUrns = new Set(plan.resources.map((r) => r.urn));
    for (const r of plan.resources) {
      for (const u of [...(r.parent ? [r.parent] : []), ...r.dependsOn]) expect(planUrns.has(u), `${r.urn} -> ${u}`).toBe(true);
    }
  });

  it("references name outputs the provider has (Account: name/member; Group: name)", () => {
    const outputs = new Set<string>();
    for (const d of estate.declarations) {
      const visit = (v: unknown) => {
        if (isDeferred(v) && "ref" in v) outputs.add(`${v.ref.split("::")[2]!.split("$").pop()!}.${v.output}`);
        else if (typeof v === "object" && v !== null) Object.values(v).forEach(visit);
      };
      visit(d.inputs);
    }
    expect([...outputs].sort()).toEqual([`${T.account}.member`, `${T.account}.name`, `${T.group}.name`].sort());
  });

  it("only components sit at the top of the stack; every resource has a component parent", () => {
    for (const d of estate.declarations) {
      if (isComponent(d)) expect(d.parent, d.urn).toBeNull();
      else expect(d.parent && isComponent(estate.declarations.find((x) => x.urn === d.parent)!), d.urn).toBe(true);
    }
  });
});

describe("writers groups: one fixed component, and grants wait for their group", () => {
  const DECLARED = [
    "k8s-infra-staging-boskos@example.com",
    "k8s-infra-staging-charts@example.com",
    "k8s-infra-staging-cluster-api-gcp@example.com",
    "k8s-infra-staging-cluster-inv-api@example.com",
    "k8s-infra-staging-kind@example.com",
    "k8s-infra-staging-kro@example.com",
    "k8s-infra-staging-kueue@example.com",
    "k8s-infra-staging-node-readiness@example.com",
    "k8s-infra-staging-releng@example.com",
  ];

  it("the writers-groups component: top level, named writers-groups, the domain as input", () => {
    expect(COMPONENT.writersGroups).toBe("k8s-infra:staging:WritersGroups");
    const components = estate.declarations.filter((d) => d.type === COMPONENT.writersGroups);
    expect(components.map((c) => c.urn)).toEqual([WRITERS_GROUPS_URN]);
    const c = components[0]!;
    expect(c.name).toBe("writers-groups");
    expect(c.parent).toBeNull();
    expect(c.dependsOn).toEqual([]);
    expect(c.inputs).toEqual({ domain: "example.com" });
    expect(estate.declarations.filter(isComponent)).toHaveLength(8);
  });

  it("every Group, its propagation Sleep, every GroupMembership and the Cloud Identity provider have the writers-groups component as parent, and nothing else does", () => {
    const groups = ofType(estate, T.group);
    const sleeps = ofType(estate, T.sleep);
    const memberships = ofType(estate, T.membership);
    const providers = estate.declarations.filter((d) => d.type === "pulumi:providers:gcp");
    expect(providers.map((p) => [p.name, p.inputs])).toEqual([["cloud-identity", { userProjectOverride: true, billingProject: "example-groups-admin" }]]);
    for (const d of [...groups, ...memberships]) expect(d.provider, d.urn).toBe(providers[0]!.urn);
    for (const d of sleeps) expect(d.provider, d.urn).toBeUndefined();
    expect(groups.map((g) => g.urn).sort()).toEqual(DECLARED.map(groupUrn));
    expect(sleeps.map((x) => x.urn).sort()).toEqual(DECLARED.map(sleepUrn));
    expect(memberships.length).toBeGreaterThan(groups.length);
    for (const d of [...groups, ...sleeps, ...memberships, ...providers]) expect(d.parent, d.urn).toBe(WRITERS_GROUPS_URN);
    const children = estate.declarations.filter((d) => d.parent === WRITERS_GROUPS_URN);
    expect(children).toHaveLength(groups.length + sleeps.length + memberships.length + 1);
  });

  it("each Sleep is `<email>/iam-propagation`, waits groupPropagationSeconds (60s) and depends on its Group only", () => {
    for (const email of DECLARED) {
      const sleep = estate.declarations.find((d) => d.urn === sleepUrn(email));
      expect(sleep?.type, email).toBe("time:index/sleep:Sleep");
      expect(sleep?.name, email).toBe(`${email}/iam-propagation`);
      expect(sleep?.inputs, email).toEqual({ createDuration: "60s" });
      expect(sleep?.dependsOn, email).toEqual([groupUrn(email)]);
    }
  });

  it("the component and its groups come first: before every project component, Groups sorted by email", () => {
    const order = estate.declarations.map((d) => d.urn);
    const at = order.indexOf(WRITERS_GROUPS_URN);
    expect(at).toBe(0);
    const projectComponents = estate.declarations.filter((d) => d.type === COMPONENT.dedicated || d.type === COMPONENT.shared);
    expect(projectComponents).toHaveLength(6);
    for (const p of projectComponents) expect(at, p.urn).toBeLessThan(order.indexOf(p.urn));
    // every Group and membership is declared before the first project component
    const firstProject = Math.min(...projectComponents.map((p) => order.indexOf(p.urn)));
    for (const d of [...ofType(estate, T.group), ...ofType(estate, T.sleep), ...ofType(estate, T.membership)]) expect(order.indexOf(d.urn), d.urn).toBeLessThan(firstProject);
    expect(ofType(estate, T.group).map((g) => g.name)).toEqual(DECLARED);
  });

  it("every grant to a declared writers group depends on that group's Sleep URN (and on no other Sleep, and on no Group directly)", () => {
    let checked = 0;
    for (const g of iamGrants(estate)) {
      const m = g.inputs.member;
      const email = typeof m === "string" && m.startsWith("group:") ? m.slice("group:".length) : undefined;
      expect(groupDependencies(g), g.urn).toEqual([]);
      if (email && DECLARED.includes(email)) {
        expect(sleepDependencies(g), g.urn).toEqual([sleepUrn(email)]);
        // plus what it waited for before: the project, repository or bucket of its own component
        expect(g.dependsOn, g.urn).toEqual([...g.dependsOn].sort());
        expect(g.dependsOn, g.urn).toHaveLength(2);
        checked++;
      } else {
        expect(sleepDependencies(g), g.urn).toEqual([]);
      }
    }
    // 5 dedicated projects x (3 project + 2 repository + 4 bucket grants) + 4 repositories x (1 repository + 1 project grant)
    expect(checked).toBe(5 * 9 + 4 * 2);
  });

  it("grants to the artifact admins (not declared here) depend on no Group", () => {
    const A = `group:${exampleConfig().artifactAdminsGroup}`;
    const toAdmins = iamGrants(estate).filter((g) => g.inputs.member === A);
    // viewer on each of 6 projects, objectAdmin + legacyBucketOwner on each of the 10 dedicated buckets,
    // repoAdmin on each of the 14 staging repositories (10 dedicated, 4 shared)
    expect(toAdmins).toHaveLength(6 + 10 * 2 + 14);
    for (const g of toAdmins) {
      expect(groupDependencies(g), g.urn).toEqual([]);
      expect(sleepDependencies(g), g.urn).toEqual([]);
      expect(g.dependsOn, g.urn).toHaveLength(1);
    }
  });

  it("only the Sleeps depend on a Group and only grants depend on a Sleep: the Groups and (person) memberships wait for nothing", () => {
    const onGroups = estate.declarations.filter((d) => groupDependencies(d).length > 0);
    expect(onGroups.map((d) => d.urn).sort()).toEqual(DECLARED.map(sleepUrn));
    const onSleeps = estate.declarations.filter((d) => sleepDependencies(d).length > 0);
    expect(onSleeps.length).toBe(5 * 9 + 4 * 2);
    for (const d of onSleeps) expect(/iam/i.test(d.type), d.urn).toBe(true);
    for (const d of [...ofType(estate, T.group), ...ofType(estate, T.membership)]) expect(d.dependsOn, d.urn).toEqual([]);
  });

  it("a membership whose member is another declared writers group depends on that Group (mutated catalog)", () => {
    const catalog = bundledCatalog();
    const kro = catalog.groups.find((g) => g.email === "k8s-infra-staging-kro@example.com")!;
    kro.members = [...kro.members, "k8s-infra-staging-charts@example.com"];
    const e = build(catalog);
    const nested = e.declarations.find((d) => d.name === "k8s-infra-staging-kro@example.com/k8s-infra-staging-charts@example.com");
    expect(nested?.type).toBe(T.membership);
    expect(nested?.dependsOn).toEqual([groupUrn("k8s-infra-staging-charts@example.com")]);
    // the memberships of people still wait for nothing
    for (const m of ofType(e, T.membership).filter((d) => d !== nested)) expect(m.dependsOn, m.urn).toEqual([]);
  });

  it("every Group is declared before its Sleep, and every Sleep before the first grant that depends on it (creation order)", () => {
    const order = estate.declarations.map((d) => d.urn);
    for (const g of ofType(estate, T.group)) {
      const dependents = estate.declarations.filter((d) => d.dependsOn.includes(g.urn)).map((d) => order.indexOf(d.urn));
      expect(dependents.length, g.urn).toBeGreaterThan(0);
      expect(order.indexOf(g.urn), g.urn).toBeLessThan(Math.min(...dependents));
    }
    for (const sl of ofType(estate, T.sleep)) {
      const dependents = estate.declarations.filter((d) => d.dependsOn.includes(sl.urn)).map((d) => order.indexOf(d.urn));
      expect(dependents.length, sl.urn).toBeGreaterThan(0);
      expect(order.indexOf(sl.urn), sl.urn).toBeLessThan(Math.min(...dependents));
    }
  });

  it("a writers override to sig-foo-leads@example.com (mutated catalog): its grants depend on no Group or Sleep, the others still do", () => {
    const catalog = bundledCatalog();
    const images = catalog.projects.find((p) => p.id === "k8s-staging-images");
    if (!images || images.kind !== "shared") throw new Error("k8s-staging-images is not a shared project");
    images.repositories.find((r) => r.name === "kro")!.writers = "sig-foo-leads@example.com";
    const e = build(catalog);
    const toLeads = iamGrants(e).filter((g) => g.inputs.member === "group:sig-foo-leads@example.com");
    expect(toLeads.map((g) => g.type).sort()).toEqual([T.repositoryIam, T.projectIam].sort());
    for (const g of toLeads) {
      expect(groupDependencies(g), g.urn).toEqual([]);
      expect(sleepDependencies(g), g.urn).toEqual([]);
      expect(g.dependsOn, g.urn).toHaveLength(1);
    }
    expect(ofType(e, T.group).map((g) => g.name)).toEqual(DECLARED.filter((x) => x !== "k8s-infra-staging-kro@example.com"));
    expect(e.declarations.filter((d) => sleepDependencies(d).length > 0)).toHaveLength(5 * 9 + 3 * 2);
  });

  it("no project uses a k8s-infra-staging-* group of the domain (mutated catalog): no writers-groups component, no Group, no Group dependency", () => {
    const catalog = bundledCatalog();
    for (const p of catalog.projects) {
      if (p.kind === "dedicated") p.writers = "sig-foo-leads@example.com";
      else for (const r of p.repositories) r.writers = "sig-foo-leads@example.com";
    }
    const e = build(catalog);
    expect(e.declarations.filter((d) => d.type === COMPONENT.writersGroups)).toEqual([]);
    expect(e.declarations.some((d) => d.urn === WRITERS_GROUPS_URN || d.parent === WRITERS_GROUPS_URN)).toBe(false);
    expect(ofType(e, T.group)).toEqual([]);
    expect(ofType(e, T.sleep)).toEqual([]);
    expect(ofType(e, T.membership)).toEqual([]);
    for (const d of e.declarations) {
      expect(groupDependencies(d), d.urn).toEqual([]);
      expect(sleepDependencies(d), d.urn).toEqual([]);
    }
    expect(e.declarations.filter(isComponent).map((c) => c.type).sort()).toEqual(
      [...Array<string>(5).fill(COMPONENT.dedicated), COMPONENT.promoter, COMPONENT.shared].sort(),
    );
    // the grants to the override are still there
    expect(iamGrants(e).filter((g) => g.inputs.member === "group:sig-foo-leads@example.com").length).toBe(5 * 9 + 4 * 2 - 3);
  });

  it("control: the k8s-infra-staging-* group of another domain does not count either", () => {
    const catalog = bundledCatalog();
    for (const p of catalog.projects) {
      if (p.kind === "dedicated") p.writers = "k8s-infra-staging-boskos@example.org";
      else for (const r of p.repositories) r.writers = "k8s-infra-staging-boskos@example.org";
    }
    const e = build(catalog);
    expect(e.declarations.filter((d) => d.type === COMPONENT.writersGroups)).toEqual([]);
    expect(ofType(e, T.group)).toEqual([]);
    expect(ofType(e, T.sleep)).toEqual([]);
    for (const d of e.declarations) {
      expect(groupDependencies(d), d.urn).toEqual([]);
      expect(sleepDependencies(d), d.urn).toEqual([]);
    }
  });
});

describe("5: input errors stop everything", () => {
  it("an empty staging list is an error with its position, not an empty estate", () => {
    const dir = copyBundled();
    editYaml(dir, "infra.yaml", (doc) => {
      doc.setIn(["infra", "staging", "projects"], doc.createNode({}));
    });
    const result = loadCatalog(dir, policyOf(exampleConfig(), STACK));
    expect(result.catalog).toBeUndefined();
    const errors = result.problems.filter((p) => p.severity === "error");
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.some((e) => e.file === "infra.yaml" && /empty/.test(e.message))).toBe(true);
    expect(errors.every((e) => e.line >= 1 && e.col >= 1)).toBe(true);
  });

  it("a staging section with no projects key at all is an error too", () => {
    const dir = tempDir("empty");
    fs.writeFileSync(path.join(dir, "infra.yaml"), "infra:\n  staging:\n    managed_by: pulumi/k8s-infra-staging\n    projects:\n");
    const result = loadCatalog(dir, policyOf(exampleConfig(), STACK));
    expect(result.catalog).toBeUndefined();
    expect(result.problems.filter((p) => p.severity === "error").map((p) => `${p.file}:${p.line}`)).toEqual(["infra.yaml:4"]);
  });

  it("buildEstate refuses a catalog with no project", () => {
    const catalog = bundledCatalog();
    catalog.projects = [];
    expect(() => build(catalog)).toThrow(/no staging project/);
  });

  it("one bad file anywhere: loadCatalog returns no catalog, and names the file and line", () => {
    const dir = copyBundled();
    const rel = "images/k8s-staging-kind/images.yaml";
    const text = fs.readFileSync(path.join(dir, rel), "utf8");
    fs.writeFileSync(path.join(dir, rel), text + "- name: Bad Name\n  dmap: {}\n");
    const line = text.split("\n").length;
    const result = loadCatalog(dir, policyOf(exampleConfig(), STACK));
    expect(result.catalog).toBeUndefined();
    const errors = result.problems.filter((p) => p.severity === "error");
    expect(errors.map((p) => `${p.file}:${p.line}`)).toContain(`${rel}:${line}`);
  });
});
