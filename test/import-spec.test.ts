/**
 * `npm run import-spec`: the bulk-import file for `pulumi import --file`, on the bundled example
 * catalog, in process (src/adopt/import-spec.ts) and end to end (child process).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { importId, lookupsOf, select, SelectionError, toImportFile, type ImportFile } from "../src/adopt/import-spec";
import { lookUp, LookupError } from "../src/adopt/lookup";
import { provenance, provenanceContext } from "../src/adopt/provenance";
import { isComponent, urnOf, type Declaration } from "../src/estate/declaration";
import { toPlan } from "../src/estate/plan";
import { PROJECT } from "../src/config";
import { build, bundledCatalog, copyBundled, exampleConfig, REPO_ROOT, removeTempDirs, STACK, tempDir } from "./fixtures/estate/support";

afterAll(removeTempDirs);

const catalog = bundledCatalog();
const estate = build(catalog);
const byUrn = new Map(estate.declarations.map((d) => [d.urn, d]));
const ctx = provenanceContext(catalog, exampleConfig(), estate.declarations);
/** Every declared resource taken to exist: the id of each type, whatever made it. */
const everything = toImportFile(estate.declarations);
/** As the command writes it: what upstream did not make is left for pulumi up. */
const file = toImportFile(estate.declarations, estate.declarations, { provenance: ctx });

function run(...args: string[]) {
  return spawnSync("npx", ["tsx", "src/cli/import-spec.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
}

function decl(type: string, name: string): Declaration {
  const d = estate.declarations.find((x) => x.type === type && x.name === name);
  if (!d) throw new Error(`no ${type} named ${name}`);
  return d;
}

function idOf(type: string, name: string): string {
  const r = importId(decl(type, name), byUrn);
  if (!("id" in r)) throw new Error(`${type} ${name} has no id: ${r.reason}`);
  return r.id;
}

/** Every URN the file's entries would land at, rebuilt from the file alone (type, logicalName, parent chain). */
function urnsOf(f: ImportFile, stack = STACK): Map<string, string> {
  const entries = [...f.resources, ...f.unresolved];
  const bySource = new Map(entries.map((e) => [e.name, e]));
  const out = new Map<string, string>();
  const urn = (name: string): string => {
    const e = bySource.get(name)!;
    if (!e.parent) return urnOf(stack, PROJECT, e.type, e.logicalName);
    const parentUrn = f.nameTable[e.parent] ?? urn(e.parent);
    const parentType = parentUrn.split("::")[2]!;
    return urnOf(stack, PROJECT, e.type, e.logicalName, { urn: parentUrn, type: parentType });
  };
  for (const e of entries) out.set(e.name, urn(e.name));
  return out;
}

describe("import ids, in the format of each type's Import documentation", () => {
  it("one sample of every custom resource type", () => {
    expect(idOf("gcp:organizations/project:Project", "k8s-staging-boskos")).toBe("k8s-staging-boskos");
    expect(idOf("gcp:projects/service:Service", "k8s-staging-boskos/artifactregistry.googleapis.com")).toBe("k8s-staging-boskos/artifactregistry.googleapis.com");
    expect(idOf("gcp:projects/iAMMember:IAMMember", "k8s-staging-boskos/roles/viewer/group:k8s-infra-staging-boskos@example.com")).toBe(
      "k8s-staging-boskos roles/viewer group:k8s-infra-staging-boskos@example.com",
    );
    expect(idOf("gcp:artifactregistry/repository:Repository", "k8s-staging-boskos/gcr.io")).toBe("projects/k8s-staging-boskos/locations/us/repositories/gcr.io");
    expect(idOf("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "k8s-staging-boskos/gcr.io/roles/artifactregistry.reader/allUsers")).toBe(
      "projects/k8s-staging-boskos/locations/us/repositories/gcr.io roles/artifactregistry.reader allUsers",
    );
    expect(idOf("gcp:storage/bucket:Bucket", "k8s-staging-boskos")).toBe("k8s-staging-boskos/k8s-staging-boskos");
    expect(idOf("gcp:storage/bucketIAMMember:BucketIAMMember", "k8s-staging-boskos/roles/storage.objectViewer/allUsers")).toBe(
      "b/k8s-staging-boskos roles/storage.objectViewer allUsers",
    );
    expect(idOf("gcp:serviceaccount/account:Account", "k8s-staging-boskos/gcb-image-builder")).toBe(
      "projects/k8s-staging-boskos/serviceAccounts/gcb-image-builder@k8s-staging-boskos.iam.gserviceaccount.com",
    );
  });

  it("references to a declared service account resolve to the values the cloud will have", () => {
    expect(idOf("gcp:serviceaccount/iAMMember:IAMMember", "k8s-staging-boskos/gcb-image-builder/roles/iam.serviceAccountTokenCreator/self")).toBe(
      "projects/k8s-staging-boskos/serviceAccounts/gcb-image-builder@k8s-staging-boskos.iam.gserviceaccount.com roles/iam.serviceAccountTokenCreator serviceAccount:gcb-image-builder@k8s-staging-boskos.iam.gserviceaccount.com",
    );
    expect(idOf("gcp:projects/iAMMember:IAMMember", "k8s-staging-boskos/roles/cloudbuild.builds.editor/k8s-staging-boskos/gcb-image-builder.member")).toBe(
      "k8s-staging-boskos roles/cloudbuild.builds.editor serviceAccount:gcb-image-builder@k8s-staging-boskos.iam.gserviceaccount.com",
    );
  });

  it("Cloud Identity groups and memberships are to look up, with the gcloud command that prints their id and their provider", () => {
    const group = file.unresolved.find((u) => u.type === "gcp:cloudidentity/group:Group" && u.logicalName === "k8s-infra-staging-boskos@example.com")!;
    expect(group.command).toBe("gcloud identity groups describe k8s-infra-staging-boskos@example.com --format='value(name)'");
    expect(group.provider).toBe("cloud-identity");
    expect(group.parent).toBe("parent:writers-groups");
    const membership = file.unresolved.find((u) => u.logicalName === "k8s-infra-staging-boskos@example.com/alice@example.com")!;
    expect(membership.type).toBe("gcp:cloudidentity/groupMembership:GroupMembership");
    expect(membership.command).toBe(
      "gcloud identity groups memberships lookup --group-email=k8s-infra-staging-boskos@example.com --member-email=alice@example.com --format='value(name)'",
    );
    expect(file.resources.some((r) => r.type.startsWith("gcp:cloudidentity/"))).toBe(false);
  });

  it("the provider the groups are imported through is created first, with its parent, by a targeted pulumi up", () => {
    expect(file.before).toEqual([
      "pulumi up --stack example --target 'urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:WritersGroups::writers-groups' --target 'urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:WritersGroups$pulumi:providers:gcp::cloud-identity'",
    ]);
    expect(file.nameTable).toEqual({ "parent:writers-groups": "urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:WritersGroups::writers-groups" });
    expect(file.resources.some((r) => r.type === "k8s-infra:staging:WritersGroups")).toBe(false);
  });

  it("Sleeps and the provider are created by pulumi up, not imported", () => {
    const created = new Set(file.created.map((s) => s.type));
    expect(created.has("time:index/sleep:Sleep")).toBe(true);
    expect(created.has("pulumi:providers:gcp")).toBe(true);
    expect(file.created.find((s) => s.type === "time:index/sleep:Sleep")!.reason).toBe("created by pulumi up; a Sleep created then waits once");
    expect(file.resources.some((r) => r.type === "time:index/sleep:Sleep" || r.type === "pulumi:providers:gcp")).toBe(false);
  });
});

describe("only what exists is imported (who made it: upstream's script for dedicated projects, its Terraform for shared ones)", () => {
  const fate = (name: string) => {
    if (file.resources.some((r) => r.logicalName === name)) return "import";
    const c = file.created.find((r) => r.logicalName === name);
    if (c) return `create: ${c.reason}`;
    return file.unresolved.some((r) => r.logicalName === name) ? "look up" : "missing";
  };
  it("a dedicated project: the script's project, APIs, repositories, buckets, accounts and grants are imported", () => {
    for (const name of [
      "k8s-staging-boskos",
      "k8s-staging-boskos-gcb",
      "k8s-staging-boskos/gcr.io",
      "k8s-staging-boskos/images",
      "k8s-staging-boskos/cloudbuild.googleapis.com",
      "k8s-staging-boskos/gcb-image-builder",
      "k8s-staging-boskos/roles/viewer/group:k8s-infra-staging-boskos@example.com",
      "k8s-staging-boskos/roles/viewer/group:k8s-infra-artifact-admins@example.com",
      "k8s-staging-boskos/roles/serviceusage.serviceUsageConsumer/group:k8s-infra-staging-boskos@example.com",
      "k8s-staging-boskos/roles/cloudbuild.builds.editor/k8s-staging-boskos/gcb-image-builder.member",
      "k8s-staging-boskos/roles/containeranalysis.occurrences.viewer/serviceAccount:k8s-infra-gcr-vuln-scanning@example-artifacts-prod.iam.gserviceaccount.com",
      "k8s-staging-boskos/images/roles/artifactregistry.reader/allUsers",
      "k8s-staging-boskos/roles/storage.objectViewer/allUsers",
      "k8s-staging-boskos-gcb/roles/storage.objectCreator/serviceAccount:gcb-builder@example-prow-build-trusted.iam.gserviceaccount.com",
      "k8s-staging-boskos/gcb-image-builder/roles/iam.serviceAccountTokenCreator/self",
    ])
      expect(fate(name), name).toBe("import");
  });

  it("a dedicated project: the Artifact Registry grants the script never made are left for pulumi up, with the reason", () => {
    expect(fate("k8s-staging-boskos/gcr.io/roles/artifactregistry.writer/group:k8s-infra-staging-boskos@example.com")).toBe(
      "create: ensure-staging-storage.sh does not make roles/artifactregistry.writer for group:k8s-infra-staging-boskos@example.com on the gcr.io repository (its GCR functions grant on the artifacts.k8s-staging-boskos.appspot.com bucket); pulumi up adds it (an IAM member is merged into the policy, so this is safe if it exists)",
    );
    expect(fate("k8s-staging-boskos/images/roles/artifactregistry.reader/serviceAccount:k8s-infra-gcr-promoter@example-artifacts-prod.iam.gserviceaccount.com")).toMatch(
      /^create: .*on the images repository \(ensure_ar_repo makes it public only\)/,
    );
  });

  it("a release project keeps the release groups' grants (ensure_release_manager_special_cases)", () => {
    expect(fate("k8s-staging-releng/roles/viewer/group:k8s-infra-release-viewers@example.com")).toBe("import");
    expect(fate("k8s-staging-releng/roles/artifactregistry.admin/group:k8s-infra-release-admins@example.com")).toBe("import");
    expect(fate("k8s-staging-releng/roles/artifactregistry.repoAdmin/group:k8s-infra-release-editors@example.com")).toBe("import");
  });

  it("the shared project: Terraform's project, APIs, repositories, readers, writers and bucket are imported; the build accounts are new", () => {
    expect(fate("k8s-staging-images")).toBe("import");
    expect(fate("k8s-staging-images/kro")).toBe("import");
    expect(fate("k8s-staging-images/artifactregistry.googleapis.com")).toBe("import");
    expect(fate("k8s-staging-images/kro/roles/artifactregistry.reader/allUsers")).toBe("import");
    expect(fate("k8s-staging-images/kro/roles/artifactregistry.writer/group:k8s-infra-staging-kro@example.com")).toBe("import");
    expect(fate("k8s-staging-images/roles/viewer/group:k8s-infra-staging-kro@example.com")).toBe("import");
    expect(fate("k8s-staging-images-gcb/roles/storage.admin/serviceAccount:gcb-builder@example-prow-build-trusted.iam.gserviceaccount.com")).toBe("import");
    expect(fate("k8s-staging-images/iam.googleapis.com")).toMatch(/^create: the Terraform of k8s-staging-images activates only artifactregistry and cloudbuild/);
    expect(fate("k8s-staging-images/roles/viewer/group:k8s-infra-artifact-admins@example.com")).toMatch(/^create: the Terraform of k8s-staging-images does not hold roles\/viewer/);
    expect(fate("k8s-staging-images/kro-sa")).toMatch(/^create: the build account k8s-staging-images\/kro-sa is new/);
    expect(fate("k8s-staging-images/kro/roles/artifactregistry.writer/k8s-staging-images/kro-sa.member")).toMatch(/^create: the build account/);
  });

  it("the promoter's production grants are made outside this estate: pulumi up adds them", () => {
    const grants = estate.declarations.filter((d) => d.parent?.endsWith("PromoterAccess::image-promoter"));
    expect(grants.length).toBe(22);
    for (const g of grants) expect(fate(g.name)).toMatch(/^create: the promoter's write access to production is made outside this estate/);
  });

  it("provenance is per declaration and never throws for any declared type", () => {
    for (const d of estate.declarations) expect(() => provenance(d, ctx)).not.toThrow();
  });
});

describe("the file reproduces the program's URNs", () => {
  it("every entry's type, name and parent chain rebuild the plan's URN exactly; with created entries they are the plan", () => {
    const planUrns = new Set(toPlan(estate).resources.map((r) => r.urn));
    for (const f of [file, everything]) {
      const urns = urnsOf(f);
      for (const u of urns.values()) expect(planUrns.has(u), u).toBe(true);
      const created = f.created.map((s) => s.urn);
      expect(new Set([...urns.values(), ...created])).toEqual(planUrns);
      expect(urns.size + created.length).toBe(planUrns.size);
    }
  });

  it("components are in the file (component: true, no id) exactly when something is imported under them", () => {
    const components = file.resources.filter((r) => r.component);
    expect(components.map((c) => c.logicalName).sort()).toEqual([
      "k8s-staging-boskos",
      "k8s-staging-cluster-api-gcp",
      "k8s-staging-images",
      "k8s-staging-kind",
      "k8s-staging-kueue",
      "k8s-staging-releng",
    ]);
    for (const c of components) expect(c.id).toBeUndefined();
    const sources = new Set(file.resources.map((r) => r.name));
    expect(sources.size).toBe(file.resources.length);
    for (const r of file.resources.filter((x) => !x.component)) {
      expect(r.id).toMatch(/\S/);
      expect(sources.has(r.parent!)).toBe(true);
    }
  });

  it("no declared custom resource is missing from all three sections", () => {
    const listed = new Set([...urnsOf(file).values(), ...file.created.map((c) => c.urn)]);
    for (const d of estate.declarations) if (!isComponent(d)) expect(listed.has(d.urn), d.urn).toBe(true);
  });
});

describe("--only", () => {
  it("selects exactly one project's resources", () => {
    const sel = select(estate.declarations, ["k8s-staging-kind"]);
    const expected = estate.declarations.filter((d) => d.urn.endsWith("::k8s-staging-kind") || d.parent?.endsWith("DedicatedStagingProject::k8s-staging-kind"));
    expect(sel.map((d) => d.urn)).toEqual(expected.map((d) => d.urn));
    expect(sel.length).toBeGreaterThan(10);
  });

  it("the writers groups alone: groups and memberships to look up, the provider first, no project resource", () => {
    const sel = select(estate.declarations, ["writers-groups"]);
    const f = toImportFile(sel, estate.declarations, { provenance: ctx });
    expect(f.resources).toEqual([]);
    expect(f.unresolved.length).toBe(31);
    expect(f.before.length).toBe(1);
    expect(new Set(f.created.map((c) => c.type))).toEqual(new Set(["k8s-infra:staging:WritersGroups", "pulumi:providers:gcp", "time:index/sleep:Sleep"]));
  });

  it("an unknown name lists the valid ones", () => {
    expect(() => select(estate.declarations, ["k8s-staging-nope"])).toThrow(SelectionError);
    expect(() => select(estate.declarations, ["k8s-staging-nope"])).toThrow(/valid names are: image-promoter, k8s-staging-boskos, .*writers-groups/);
  });
});

/** A stand-in for the Cloud Identity v1 API: groups:lookup and memberships:lookup over known data. */
function cloudIdentityStandIn(groups: Record<string, string>, memberships: Record<string, string>, seen: http.IncomingHttpHeaders[] = []) {
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url!, "http://x");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== "Bearer test-token") return reply(401, { error: { code: 401, message: "Request had invalid authentication credentials." } });
    if (url.pathname === "/v1/groups:lookup") {
      const name = groups[url.searchParams.get("groupKey.id") ?? ""];
      return name ? reply(200, { name }) : reply(404, { error: { code: 404, message: "Not found", status: "NOT_FOUND" } });
    }
    const m = /^\/v1\/(groups\/[^/]+)\/memberships:lookup$/.exec(url.pathname);
    if (m) {
      const name = memberships[`${m[1]} ${url.searchParams.get("memberKey.id")}`];
      return name ? reply(200, { name }) : reply(404, { error: { code: 404, message: "Not found", status: "NOT_FOUND" } });
    }
    reply(400, { error: { code: 400, message: `unexpected ${url.pathname}` } });
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) }),
    ),
  );
}

describe("--lookup through the Cloud Identity API (a local stand-in)", () => {
  const needed = lookupsOf(estate.declarations);
  // Every group exists except kueue's; every membership exists except bea's in node-readiness.
  const groups: Record<string, string> = {};
  const memberships: Record<string, string> = {};
  needed.groups.forEach((g, i) => {
    if (g !== "k8s-infra-staging-kueue@example.com") groups[g] = `groups/0${i}abc`;
  });
  needed.memberships.forEach(([g, m], i) => {
    if (groups[g] && !(g === "k8s-infra-staging-node-readiness@example.com" && m === "bea@example.com")) memberships[`${groups[g]} ${m}`] = `${groups[g]}/memberships/1${i}xyz`;
  });

  it("fills group and membership ids; a missing group, its memberships and the grants to it are left for pulumi up", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const standIn = await cloudIdentityStandIn(groups, memberships, seen);
    try {
      const found = await lookUp(needed.groups, needed.memberships, { rootUrl: standIn.url, accessToken: "test-token", quotaProject: "example-groups-admin" });
      const f = toImportFile(estate.declarations, estate.declarations, { provenance: ctx, lookup: found });
      expect(f.unresolved).toEqual([]);
      const boskos = f.resources.find((r) => r.type === "gcp:cloudidentity/group:Group" && r.logicalName === "k8s-infra-staging-boskos@example.com")!;
      expect(boskos.id).toBe(groups["k8s-infra-staging-boskos@example.com"]);
      expect(boskos.provider).toBe("cloud-identity");
      expect(boskos.parent).toBe("parent:writers-groups");
      expect(f.nameTable["cloud-identity"]).toBe("urn:pulumi:example::k8s-infra-staging::k8s-infra:staging:WritersGroups$pulumi:providers:gcp::cloud-identity");
      const alice = f.resources.find((r) => r.logicalName === "k8s-infra-staging-boskos@example.com/alice@example.com")!;
      expect(alice.id).toMatch(/^groups\/\w+\/memberships\/\w+$/);
      expect(alice.id).toBe(memberships[`${boskos.id} alice@example.com`]);
      const created = (name: string) => f.created.find((c) => c.logicalName === name)?.reason;
      expect(created("k8s-infra-staging-kueue@example.com")).toBe("--lookup: k8s-infra-staging-kueue@example.com does not exist in Cloud Identity yet; pulumi up creates it");
      expect(created("k8s-infra-staging-node-readiness@example.com/bea@example.com")).toBe(
        "--lookup: bea@example.com is not a member of k8s-infra-staging-node-readiness@example.com yet; pulumi up adds it",
      );
      expect(created("k8s-staging-kueue/roles/viewer/group:k8s-infra-staging-kueue@example.com")).toBe(
        "k8s-infra-staging-kueue@example.com does not exist yet (--lookup): pulumi up creates the group, then this grant",
      );
      expect(f.created.filter((c) => c.logicalName.startsWith("k8s-infra-staging-kueue@example.com/")).every((c) => /group k8s-infra-staging-kueue@example.com does not exist yet|Sleep/.test(c.reason))).toBe(true);
      expect(seen.every((h) => h["x-goog-user-project"] === "example-groups-admin")).toBe(true);
    } finally {
      await standIn.close();
    }
  });

  it("refused credentials stop the lookup with the API's message", async () => {
    const standIn = await cloudIdentityStandIn(groups, memberships);
    try {
      await expect(lookUp(needed.groups, [], { rootUrl: standIn.url, accessToken: "wrong" })).rejects.toThrow(
        /^looking up group .*: HTTP 401: Request had invalid authentication credentials\.$/,
      );
      await expect(lookUp(needed.groups, [], { rootUrl: standIn.url, accessToken: "wrong" })).rejects.toBeInstanceOf(LookupError);
    } finally {
      await standIn.close();
    }
  });

  it("the command end to end: --lookup --api-root against the stand-in, the missing group said on stdout", async () => {
    const standIn = await cloudIdentityStandIn(groups, memberships);
    try {
      const out = path.join(tempDir("import-spec"), "looked-up.json");
      const r = await runAsync(["--only", "writers-groups", "k8s-staging-kueue", "--lookup", "--api-root", standIn.url, "--out", out], { GOOGLE_OAUTH_ACCESS_TOKEN: "test-token" });
      expect(r.stderr.split("\n").filter((l) => l && !/: note: /.test(l))).toEqual([]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("not in the cloud yet: k8s-infra-staging-kueue@example.com: k8s-infra-staging-kueue@example.com does not exist in Cloud Identity yet; pulumi up creates it\n");
      const written = JSON.parse(fs.readFileSync(out, "utf8")) as ImportFile;
      expect(written.unresolved).toEqual([]);
      expect(written.resources.filter((x) => x.type === "gcp:cloudidentity/group:Group").length).toBe(Object.keys(groups).length);
    } finally {
      await standIn.close();
    }
  });

  it("no credentials: exit 1, one line saying how to log in, no file", async () => {
    const out = path.join(tempDir("import-spec"), "no-credentials.json");
    const env = { GOOGLE_OAUTH_ACCESS_TOKEN: "", GOOGLE_APPLICATION_CREDENTIALS: path.join(tempDir("import-spec"), "missing.json") };
    const r = await runAsync(["--lookup", "--out", out], env);
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l && !/: note: /.test(l))).toEqual([
      expect.stringMatching(/^error: --lookup needs Google credentials: run gcloud auth application-default login \(or set GOOGLE_OAUTH_ACCESS_TOKEN\); .+; nothing is written$/),
    ]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("an unreachable API: exit 1, one line, no file", async () => {
    const out = path.join(tempDir("import-spec"), "unreachable.json");
    const r = await runAsync(["--lookup", "--api-root", "http://127.0.0.1:9/", "--out", out], { GOOGLE_OAUTH_ACCESS_TOKEN: "test-token" });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l && !/: note: /.test(l))).toEqual([
      expect.stringMatching(/^error: looking up group k8s-infra-[a-z-]+@example\.com at http:\/\/127\.0\.0\.1:9: .+; nothing is written$/),
    ]);
    expect(fs.existsSync(out)).toBe(false);
  });
});

function runAsync(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn("npx", ["tsx", "src/cli/import-spec.ts", ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("npm run import-spec (child process)", () => {
  it("writes the file and a summary line", () => {
    const out = path.join(tempDir("import-spec"), "import.json");
    const r = run("--out", out);
    expect(r.status).toBe(0);
    const written = JSON.parse(fs.readFileSync(out, "utf8")) as ImportFile;
    expect(written).toEqual(JSON.parse(JSON.stringify(file)));
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`226 resources to import (under 6 components declared in the file), 31 to look up, 102 created by pulumi up, written to ${out}`);
    expect(r.stdout).toContain("before pulumi import: pulumi up --stack example --target ");
    expect(r.stderr).toContain("gcloud identity groups describe k8s-infra-staging-boskos@example.com --format='value(name)'");
  });

  it("--only k8s-staging-kind: exactly that project's resources, at the plan's URNs", () => {
    const out = path.join(tempDir("import-spec"), "kind.json");
    const r = run("--only", "k8s-staging-kind", "--out", out);
    expect(r.status).toBe(0);
    const written = JSON.parse(fs.readFileSync(out, "utf8")) as ImportFile;
    const expected = estate.declarations.filter((d) => d.urn.endsWith("DedicatedStagingProject::k8s-staging-kind") || d.parent?.endsWith("DedicatedStagingProject::k8s-staging-kind"));
    expect(new Set([...urnsOf(written).values(), ...written.created.map((s) => s.urn)])).toEqual(new Set(expected.map((d) => d.urn)));
    expect(written.unresolved).toEqual([]);
    expect(written.before).toEqual([]);
    expect(written.nameTable).toEqual({});
  });

  it("an unknown project is a usage error (exit 2) and writes nothing", () => {
    const out = path.join(tempDir("import-spec"), "none.json");
    const r = run("--only", "k8s-staging-nope", "--out", out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --only k8s-staging-nope: no such project or component; the valid names are: .*k8s-staging-kind/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("--out is required, --api-root only with --lookup (exit 2)", () => {
    expect(run().stderr).toContain("error: --out FILE is required");
    expect(run().status).toBe(2);
    const r = run("--api-root", "http://127.0.0.1:1/", "--out", "x.json");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: --api-root is only used with --lookup");
  });

  it("a catalog error: exit 1 and no file", () => {
    const dir = copyBundled();
    fs.writeFileSync(path.join(dir, "infra.yaml"), "infra: [\n");
    const out = path.join(tempDir("import-spec"), "broken.json");
    const r = run("--catalog", dir, "--out", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
