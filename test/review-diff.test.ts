/** `npm run plan -- --diff BASE.json`: diffPlans, renderDiff, and the command's exit codes. */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../src/estate/plan";
import { diffPlans, isEmpty, showValue } from "../src/review/diff";
import { ownerOf } from "../src/review/group";
import { renderDiff, totalsLine } from "../src/review/render-diff";
import { COLOUR, PLAIN } from "../src/review/style";
import { BUNDLED, INFRA, NEWPROJ_GROUP, copyBundled, planOf, exampleConfig, replaceOnce, runCli, stripAnsi } from "./fixtures/review/support";
import { tempDir } from "./helpers";

const base = planOf(BUNDLED);
const ofProject = (plan: Plan, project: string) => plan.resources.filter((r) => ownerOf(r) === project);

/** [section, creates, changes, deletes] expected from the URNs alone, for diffs without changes. */
function addsAndRemoves(before: Plan, after: Plan): [string, number, number, number][] {
  const had = new Set(before.resources.map((r) => r.urn));
  const has = new Set(after.resources.map((r) => r.urn));
  const counts = new Map<string, [string, number, number, number]>();
  const bump = (owner: string, i: 1 | 3) => {
    const c = counts.get(owner) ?? [owner, 0, 0, 0];
    c[i]++;
    counts.set(owner, c);
  };
  for (const r of after.resources) if (!had.has(r.urn)) bump(ownerOf(r), 1);
  for (const r of before.resources) if (!has.has(r.urn)) bump(ownerOf(r), 3);
  return [...counts.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const CLEANUP_90 = '[{"id":"delete-images-older-than-90-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"7776000s"}}]';
const CLEANUP_30 = '[{"id":"delete-images-older-than-30-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"2592000s"}}]';

describe("diffPlans and renderDiff", () => {
  it("a plan against itself (or its JSON round trip) is empty: No changes.", () => {
    const same = diffPlans(base, base);
    expect(isEmpty(same)).toBe(true);
    expect(same).toEqual({ projects: [], protectedDeletes: [], totals: { creates: 0, changes: 0, deletes: 0 } });
    expect(renderDiff(same, PLAIN)).toBe("No changes.\n\n0 to create, 0 to change, 0 to delete\n");
    const roundTrip = JSON.parse(JSON.stringify(base)) as Plan;
    expect(isEmpty(diffPlans(roundTrip, base))).toBe(true);
    expect(isEmpty(diffPlans(base, planOf(copyBundled())))).toBe(true);
  });

  it("a new project: only creates, each a + line under the project's header", () => {
    const head = planOf(copyBundled({ "infra.yaml": INFRA.addProject, ...NEWPROJ_GROUP }));
    const added = ofProject(head, "k8s-staging-newproj");
    expect(added.length).toBeGreaterThan(40);
    const diff = diffPlans(base, head);
    expect(diff.projects.map((p) => [p.project, p.creates, p.changes, p.deletes])).toEqual(addsAndRemoves(base, head));
    expect(diff.projects[0]).toMatchObject({ project: "k8s-staging-newproj", creates: added.length, changes: 0, deletes: 0 });
    expect(diff.protectedDeletes).toEqual([]);
    const creates = head.resources.length - base.resources.length;
    expect(diff.totals).toEqual({ creates, changes: 0, deletes: 0 });

    const out = renderDiff(diff, PLAIN);
    // the new writers group and its propagation pause, wherever the estate puts them
    expect(out).toContain("\n  + Group k8s-infra-staging-newproj@example.com\n");
    expect(out).toContain("\n  + Sleep k8s-infra-staging-newproj@example.com/iam-propagation\n");
    const lines = out.split("\n");
    expect(lines[0]).toBe(`k8s-staging-newproj (+${added.length} ~0 -0)`);
    const body = lines.slice(1, 1 + added.length);
    expect(lines[1 + added.length]).not.toMatch(/^ /);
    expect(body.every((l) => l.startsWith("  + "))).toBe(true);
    expect(body).toContain("  + Project k8s-staging-newproj");
    expect(body).toContain("  + Repository k8s-staging-newproj/gcr.io");
    expect(body).toContain("  + Repository k8s-staging-newproj/images");
    expect(body).toContain("  + Bucket k8s-staging-newproj-gcb");
    expect(body).toContain("  + Service k8s-staging-newproj/artifactregistry.googleapis.com");
    expect(body).toContain("  + DedicatedStagingProject k8s-staging-newproj");
    expect(out).not.toContain("[protected]");
    expect(out).not.toContain("  - ");
    expect(lines.at(-2)).toMatch(new RegExp(`^${creates} to create, 0 to change, 0 to delete in 1 staging project( and .*)?$`));
  });

  it("a removed project: deletes, the protected ones first under the ! heading and marked [protected]", () => {
    const head = planOf(copyBundled({ "infra.yaml": INFRA.removeKueue }));
    const removed = ofProject(base, "k8s-staging-kueue");
    const diff = diffPlans(base, head);
    expect(diff.projects.map((p) => [p.project, p.creates, p.changes, p.deletes])).toEqual(addsAndRemoves(base, head));
    expect(diff.projects[0]).toMatchObject({ project: "k8s-staging-kueue", creates: 0, changes: 0, deletes: removed.length });
    const deletes = base.resources.length - head.resources.length;
    expect(diff.protectedDeletes.map((e) => `${e.resource.type} ${e.resource.name}`).sort()).toEqual(
      [
        "gcp:organizations/project:Project k8s-staging-kueue",
        "gcp:artifactregistry/repository:Repository k8s-staging-kueue/gcr.io",
        "gcp:artifactregistry/repository:Repository k8s-staging-kueue/images",
        "gcp:storage/bucket:Bucket k8s-staging-kueue",
        "gcp:storage/bucket:Bucket k8s-staging-kueue-gcb",
        "gcp:serviceaccount/account:Account k8s-staging-kueue/gcb-image-builder",
        "gcp:cloudidentity/group:Group k8s-infra-staging-kueue@example.com",
      ].sort(),
    );

    const out = renderDiff(diff, PLAIN);
    const lines = out.split("\n");
    expect(lines.slice(0, 9)).toEqual([
      "! 7 protected resource(s) would be deleted; the engine refuses this, and so does this check:",
      "  - Repository k8s-staging-kueue/gcr.io",
      "  - Repository k8s-staging-kueue/images",
      "  - Project k8s-staging-kueue",
      "  - Account k8s-staging-kueue/gcb-image-builder",
      "  - Bucket k8s-staging-kueue",
      "  - Bucket k8s-staging-kueue-gcb",
      "  - Group k8s-infra-staging-kueue@example.com",
      "",
    ]);
    expect(lines[9]).toBe(`k8s-staging-kueue (+0 ~0 -${removed.length})`);
    const body = lines.slice(10, 10 + removed.length);
    expect(lines[10 + removed.length]).not.toMatch(/^ /);
    expect(body.every((l) => l.startsWith("  - "))).toBe(true);
    expect(body.filter((l) => l.endsWith("  [protected]")).sort()).toEqual(
      [
        "  - Account k8s-staging-kueue/gcb-image-builder  [protected]",
        "  - Bucket k8s-staging-kueue  [protected]",
        "  - Bucket k8s-staging-kueue-gcb  [protected]",
        "  - Project k8s-staging-kueue  [protected]",
        "  - Repository k8s-staging-kueue/gcr.io  [protected]",
        "  - Repository k8s-staging-kueue/images  [protected]",
      ],
    );
    // the writers group (protected), its propagation pause and its 4 memberships go too, in the writers-groups section
    expect(lines).toContain("  - Group k8s-infra-staging-kueue@example.com  [protected]");
    expect(lines).toContain("  - Sleep k8s-infra-staging-kueue@example.com/iam-propagation");
    expect(lines.filter((l) => l.startsWith("  - GroupMembership k8s-infra-staging-kueue@example.com/"))).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith("  + ") || l.startsWith("  ~ "))).toEqual([]);
    expect(lines.at(-2)).toMatch(new RegExp(`^0 to create, 0 to change, ${deletes} to delete \\(7 protected\\) in 1 staging project( and .*)?$`));
  });

  it("a changed input: a ~ line with field: old -> new (cleanup 90 -> 30 days on a dedicated project: both repositories)", () => {
    const head = planOf(copyBundled({ "infra.yaml": INFRA.kindCleanup30 }));
    const diff = diffPlans(base, head);
    expect(diff.totals).toEqual({ creates: 0, changes: 2, deletes: 0 });
    expect(diff.projects[0]?.entries.map((e) => e.changes.map((c) => c.field))).toEqual([["cleanupPolicies"], ["cleanupPolicies"]]);
    expect(renderDiff(diff, PLAIN)).toBe(
      [
        "k8s-staging-kind (+0 ~2 -0)",
        // the gcr.io repository's cleanup follows the project's days, as a dry run
        "  ~ Repository k8s-staging-kind/gcr.io",
        `      cleanupPolicies: ${CLEANUP_90} -> ${CLEANUP_30}`,
        "  ~ Repository k8s-staging-kind/images",
        `      cleanupPolicies: ${CLEANUP_90} -> ${CLEANUP_30}`,
        "",
        "0 to create, 2 to change, 0 to delete in 1 staging project",
        "",
      ].join("\n"),
    );
  });

  it("a removed service: a delete that is retained on delete but not protected, so no ! heading", () => {
    const head = planOf(copyBundled({ "infra.yaml": INFRA.dropOslogin }));
    const diff = diffPlans(base, head);
    expect(diff.projects).toHaveLength(1);
    const [e] = diff.projects[0]!.entries;
    expect(e?.kind).toBe("delete");
    expect(e?.resource).toMatchObject({ type: "gcp:projects/service:Service", protect: false, retainOnDelete: true });
    expect(diff.protectedDeletes).toEqual([]);
    expect(renderDiff(diff, PLAIN)).toBe(
      [
        "k8s-staging-cluster-api-gcp (+0 ~0 -1)",
        "  - Service k8s-staging-cluster-api-gcp/oslogin.googleapis.com",
        "",
        "0 to create, 0 to change, 1 to delete in 1 staging project",
        "",
      ].join("\n"),
    );
  });

  it("several changes: projects sorted, and in each project deletes, then changes, then creates", () => {
    const head = planOf(
      copyBundled({
        ...NEWPROJ_GROUP,
        "infra.yaml": (t) =>
          replaceOnce(
            replaceOnce(
              INFRA.addProject(INFRA.removeKueue(t)),
              "      k8s-staging-kind:\n",
              "      k8s-staging-kind:\n        cleanup: {olderThanDays: 30}\n        services: [container.googleapis.com]\n",
            ),
            "services: [compute.googleapis.com, oslogin.googleapis.com]",
            "services: [compute.googleapis.com, run.googleapis.com]",
          ),
      }),
    );
    const diff = diffPlans(base, head);
    expect(diff.projects.slice(0, 4).map((p) => [p.project, p.creates, p.changes, p.deletes])).toEqual([
      ["k8s-staging-cluster-api-gcp", 1, 0, 1],
      ["k8s-staging-kind", 1, 2, 0],
      ["k8s-staging-kueue", 0, 0, ofProject(base, "k8s-staging-kueue").length],
      ["k8s-staging-newproj", ofProject(head, "k8s-staging-newproj").length, 0, 0],
    ]);
    const out = renderDiff(diff, PLAIN);
    expect(out.startsWith("! 7 protected resource(s) would be deleted")).toBe(true);
    expect(out).toContain(
      [
        "k8s-staging-cluster-api-gcp (+1 ~0 -1)",
        "  - Service k8s-staging-cluster-api-gcp/oslogin.googleapis.com",
        "  + Service k8s-staging-cluster-api-gcp/run.googleapis.com",
        "k8s-staging-kind (+1 ~2 -0)",
        "  ~ Repository k8s-staging-kind/gcr.io",
        `      cleanupPolicies: ${CLEANUP_90} -> ${CLEANUP_30}`,
        "  ~ Repository k8s-staging-kind/images",
        `      cleanupPolicies: ${CLEANUP_90} -> ${CLEANUP_30}`,
        "  + Service k8s-staging-kind/container.googleapis.com",
        "k8s-staging-kueue (+0 ~0 -",
      ].join("\n"),
    );
    expect(out.indexOf("\nk8s-staging-kueue (")).toBeLessThan(out.indexOf("\nk8s-staging-newproj ("));
    expect(out).toMatch(/\n\d+ to create, 2 to change, \d+ to delete \(7 protected\) in 4 staging projects( and [^\n]*)?\n$/);
  });

  it("option changes are shown as (protect), (retainOnDelete), (dependsOn)", () => {
    const project = base.resources.find((r) => r.type === "gcp:organizations/project:Project")!;
    const tampered: Plan = {
      ...base,
      resources: base.resources.map((r) => (r.urn === project.urn ? { ...r, protect: false, dependsOn: ["urn:x"] } : r)),
    };
    const out = renderDiff(diffPlans(tampered, base), PLAIN);
    expect(out).toContain(`  ~ Project ${project.name}\n      (protect): false -> true\n      (dependsOn): ["urn:x"] -> []\n`);
  });

  it("a change of the promoter's production roots is the image promoter's, not a staging project's", () => {
    const config = exampleConfig();
    const fewer = { ...config, productionRegistries: config.productionRegistries.slice(1) };
    // the catalog is still validated against all 22 roots; only the estate is built with 21
    const head = planOf(BUNDLED, fewer, config);
    const diff = diffPlans(base, head);
    expect(diff.projects.map((p) => [p.project, p.deletes])).toEqual([["image-promoter", 1]]);
    const out = renderDiff(diff, PLAIN);
    expect(out).toContain(`image-promoter (+0 ~0 -1)\n  - RepositoryIamMember ${config.productionRegistries[0]}/roles/artifactregistry.writer/`);
    expect(totalsLine(diff)).toMatch(/^0 to create, 0 to change, 1 to delete in .*the image promoter$/);
  });

  it("colours + green, - red, ~ yellow, and the ! heading red and bold", () => {
    const head = planOf(copyBundled({ "infra.yaml": (t) => INFRA.kindCleanup30(INFRA.removeKueue(t)) }));
    const out = renderDiff(diffPlans(base, head), COLOUR);
    expect(out).toContain("\x1b[31m\x1b[1m! 7 protected resource(s)");
    expect(out).toContain("\x1b[31m  - Project k8s-staging-kueue  [protected]\x1b[0m");
    expect(out).toContain("\x1b[33m  ~ Repository k8s-staging-kind/images\x1b[0m");
    expect(stripAnsi(out)).toBe(renderDiff(diffPlans(base, head), PLAIN));
  });

  it("showValue: (unset) for a missing value, JSON otherwise, cut at 160 characters", () => {
    expect(showValue(undefined)).toBe("(unset)");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    const long = showValue("x".repeat(500));
    expect(long).toHaveLength(160);
    expect(long.endsWith("...")).toBe(true);
  });
});

describe("npm run plan -- --json / --diff (the command)", () => {
  const dir = tempDir("review-plan-");
  const baseJson = path.join(dir, "base.json");

  beforeAll(() => {
    const r = runCli("plan.ts", ["--json", baseJson]);
    expect(r.stderr).not.toMatch(/: error: /);
    expect(r.status).toBe(0);
    expect(r.out).toEqual([`${base.resources.length} resources in 6 staging projects written to ${baseJson}`]);
  });

  it("--json writes every declaration, sorted by URN, as the in-process plan", () => {
    const { version, ...written } = JSON.parse(fs.readFileSync(baseJson, "utf8")) as Plan & { version: unknown };
    expect(version).toBe(1);
    expect(written.stack).toBe("example");
    expect(written.resources.map((r) => r.urn)).toEqual([...written.resources.map((r) => r.urn)].sort());
    expect(written).toEqual(JSON.parse(JSON.stringify(base)));
  });

  it("an additive change exits 0 and shows the + lines", () => {
    const catalog = copyBundled({ "infra.yaml": INFRA.addProject, ...NEWPROJ_GROUP });
    const added = ofProject(planOf(catalog), "k8s-staging-newproj").length;
    const r = runCli("plan.ts", ["--catalog", catalog, "--diff", baseJson]);
    expect(r.status).toBe(0);
    expect(r.out[0]).toBe(`k8s-staging-newproj (+${added} ~0 -0)`);
    expect(r.out).toContain("  + Project k8s-staging-newproj");
    expect(r.out.at(-1)).toMatch(/^\d+ to create, 0 to change, 0 to delete in 1 staging project( and .*)?$/);
    expect(r.stdout).not.toContain("\x1b[");
    // the new project's writers group has its groups.yaml entry: nothing to say about it
    expect(r.stderr).not.toContain("k8s-infra-staging-newproj@example.com");
    expect(r.stderr).not.toMatch(/: (error|warning): /);
  });

  it("a new project whose writers group has no groups.yaml entry: an error, not a warning; exit 1, nothing planned", () => {
    const r = runCli("plan.ts", ["--catalog", copyBundled({ "infra.yaml": INFRA.addProject }), "--diff", baseJson]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^infra\.yaml:\d+:\d+: error: writers group k8s-infra-staging-newproj@example\.com of k8s-staging-newproj has no entry in groups\/\*\*\/groups\.yaml; add it there \(the groups reconciler deletes every group groups\.yaml does not list\)$/m,
    );
    expect(r.stderr).not.toMatch(/warning: writers group/);
    expect(r.stdout).toContain("nothing is planned");
    expect(r.stdout).not.toContain("+ Project k8s-staging-newproj");
  });

  it("a removed project exits 3 (protected deletion), the ! heading first", () => {
    const r = runCli("plan.ts", ["--catalog", copyBundled({ "infra.yaml": INFRA.removeKueue }), "--diff", baseJson]);
    expect(r.status).toBe(3);
    expect(r.out[0]).toBe("! 7 protected resource(s) would be deleted; the engine refuses this, and so does this check:");
    expect(r.out).toContain("  - Project k8s-staging-kueue  [protected]");
    expect(r.out.at(-1)).toMatch(/^0 to create, 0 to change, \d+ to delete \(7 protected\) in 1 staging project( and .*)?$/);
  });

  it("--diff of a file that does not exist exits 2 with the usage", () => {
    const missing = path.join(dir, "nosuch.json");
    const r = runCli("plan.ts", ["--diff", missing]);
    expect(r.status).toBe(2);
    expect(r.err[0]).toMatch(new RegExp(`^error: cannot read the base plan ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOENT`));
    expect(r.err[1]).toMatch(/^usage: npm run plan -- /);
    expect(r.stdout).toBe("");
  });

  it("--diff of a JSON file that is not a plan exits 2", () => {
    const notPlan = path.join(dir, "not-a-plan.json");
    fs.writeFileSync(notPlan, JSON.stringify({ resources: "nope" }));
    const r = runCli("plan.ts", ["--diff", notPlan]);
    expect(r.status).toBe(2);
    expect(r.err[0]).toBe(`error: ${notPlan} is not a plan written by npm run plan -- --json`);
    expect(r.stdout).toBe("");
  });

  it("--diff of a plan of another stack exits 2", () => {
    const other = path.join(dir, "other-stack.json");
    fs.writeFileSync(other, JSON.stringify({ version: 1, ...base, stack: "staging" }));
    const r = runCli("plan.ts", ["--diff", other]);
    expect(r.status).toBe(2);
    expect(r.err).toContain(`error: ${other} is a plan of stack staging, not example; compare plans of the same stack`);
    expect(r.stdout).toBe("");
  });
});
