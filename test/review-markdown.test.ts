/** `npm run plan -- --markdown FILE`: the pull-request comment (renderMarkdown) and the command. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Plan, PlanResource } from "../src/estate/plan";
import { diffPlans, type PlanDiff } from "../src/review/diff";
import { renderMarkdown } from "../src/review/markdown";
import { BUNDLED, INFRA, NEWPROJ_GROUP, copyBundled, planOf, exampleConfig, runCli } from "./fixtures/review/support";
import { infra, tempDir, writeTree } from "./helpers";

/** GitHub refuses comments longer than this. */
const GITHUB_LIMIT = 65_536;
const TITLE = "Staging estate: changes on stack example";

const base = planOf(BUNDLED);
const diffWith = (edit: (infraYaml: string) => string, others: Record<string, (text: string) => string> = {}) =>
  diffPlans(base, planOf(copyBundled({ ...others, "infra.yaml": edit })));

/** The lines between "<details><summary><code>ID</code>" and its "</details>". */
function section(md: string, project: string): string[] {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`<details><summary><code>${project}</code>: `));
  if (start < 0) throw new Error(`no section for ${project}`);
  return lines.slice(start, lines.indexOf("</details>", start) + 1);
}

/** groups.yaml with a staging writers group `k8s-infra-staging-<suffix>@example.com` (one member) per suffix: a writers group needs its entry. */
function exampleGroups(suffixes: string[]): string {
  const entry = (x: string) =>
    [`  - email-id: k8s-infra-staging-${x}@example.com`, `    name: k8s-infra-staging-${x}`, "    settings:", '      ReconcileMembers: "true"', "    members:", "      - someone@example.com", ""].join("\n");
  return "groups:\n" + suffixes.map(entry).join("");
}

/** `n` dedicated projects k8s-staging-p000..., all defaults, with their writers groups, as a catalog folder. */
function manyProjects(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `p${String(i).padStart(3, "0")}`);
  return writeTree({ "infra.yaml": infra(...names.map((x) => `k8s-staging-${x}:`)), "groups/sig-many/groups.yaml": exampleGroups(names) });
}

describe("renderMarkdown", () => {
  it("an empty diff: the title and No changes to the staging estate.", () => {
    expect(renderMarkdown(diffPlans(base, base), TITLE)).toBe(`### ${TITLE}\n\nNo changes to the staging estate.\n`);
  });

  it("a new project: totals, a table row, and a folded ```diff section of + lines", () => {
    const diff = diffWith(INFRA.addProject, NEWPROJ_GROUP);
    const n = diff.projects.find((p) => p.project === "k8s-staging-newproj")!.creates;
    const md = renderMarkdown(diff, TITLE);
    const lines = md.split("\n");
    expect(lines.slice(0, 2)).toEqual([`### ${TITLE}`, ""]);
    expect(lines[2]).toMatch(new RegExp(`^${diff.totals.creates} to create, 0 to change, 0 to delete in 1 staging project( and .*)?$`));
    expect(lines.slice(3, 7)).toEqual(["", "| staging project | creates | changes | deletes |", "|---|---:|---:|---:|", `| \`k8s-staging-newproj\` | ${n} |  |  |`]);
    // one row and one section per part of the diff (the new writers group may have its own)
    expect(lines.filter((l) => l.startsWith("| `"))).toHaveLength(diff.projects.length);
    expect(md.match(/<details>/g)).toHaveLength(diff.projects.length);
    expect(md).toContain("\n+ Group k8s-infra-staging-newproj@example.com\n");
    expect(md).toContain("\n+ Sleep k8s-infra-staging-newproj@example.com/iam-propagation\n");
    const s = section(md, "k8s-staging-newproj");
    expect(s[0]).toBe(`<details><summary><code>k8s-staging-newproj</code>: +${n} ~0 -0</summary>`);
    expect(s.slice(1, 3)).toEqual(["", "```diff"]);
    expect(s.slice(-3)).toEqual(["```", "", "</details>"]);
    const body = s.slice(3, -3);
    expect(body).toHaveLength(n);
    expect(body.every((l) => l.startsWith("+ "))).toBe(true);
    expect(body).toContain("+ Project k8s-staging-newproj");
    expect(body).toContain("+ Bucket k8s-staging-newproj-gcb");
    expect(md).not.toContain("[!CAUTION]");
    expect(md.endsWith("</details>\n")).toBe(true);
  });

  it("a removed project: a CAUTION block naming the protected resources, before the table; deletes in bold", () => {
    const diff = diffWith(INFRA.removeKueue);
    const n = diff.projects.find((p) => p.project === "k8s-staging-kueue")!.deletes;
    const md = renderMarkdown(diff, TITLE);
    expect(md.split("\n").slice(0, 11)).toEqual([
      `### ${TITLE}`,
      "",
      "> [!CAUTION]",
      "> This change deletes 7 protected resource(s); it cannot be applied as is:",
      "> - `Repository` `k8s-staging-kueue/gcr.io`",
      "> - `Repository` `k8s-staging-kueue/images`",
      "> - `Project` `k8s-staging-kueue`",
      "> - `Account` `k8s-staging-kueue/gcb-image-builder`",
      "> - `Bucket` `k8s-staging-kueue`",
      "> - `Bucket` `k8s-staging-kueue-gcb`",
      "> - `Group` `k8s-infra-staging-kueue@example.com`",
    ]);
    expect(md.indexOf("[!CAUTION]")).toBeLessThan(md.indexOf("| staging project |"));
    expect(md).toMatch(new RegExp(`\\n0 to create, 0 to change, ${diff.totals.deletes} to delete \\(7 protected\\) in 1 staging project( and .*)?\\n`));
    expect(md).toContain(`\n| \`k8s-staging-kueue\` |  |  | **${n}** |\n`);
    const body = section(md, "k8s-staging-kueue").slice(3, -3);
    expect(body).toHaveLength(n);
    expect(body.every((l) => l.startsWith("- "))).toBe(true);
    // the project, 2 repositories, 2 buckets and the image-builder account (the writers group is in the writers-groups section)
    expect(body.filter((l) => l.endsWith("  [protected]"))).toHaveLength(6);
    expect(body).toContain("- Project k8s-staging-kueue  [protected]");
  });

  it("a changed input: a ! line per resource and per field, old -> new", () => {
    const md = renderMarkdown(diffWith(INFRA.kindCleanup30), TITLE);
    expect(md).toContain("\n| `k8s-staging-kind` |  | 2 |  |\n");
    expect(section(md, "k8s-staging-kind")).toEqual([
      "<details><summary><code>k8s-staging-kind</code>: +0 ~2 -0</summary>",
      "",
      "```diff",
      "! Repository k8s-staging-kind/gcr.io",
      '!     cleanupPolicies: [{"id":"delete-images-older-than-90-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"7776000s"}}] -> [{"id":"delete-images-older-than-30-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"2592000s"}}]',
      "! Repository k8s-staging-kind/images",
      '!     cleanupPolicies: [{"id":"delete-images-older-than-90-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"7776000s"}}] -> [{"id":"delete-images-older-than-30-days","action":"DELETE","condition":{"tagState":"ANY","olderThan":"2592000s"}}]',
      "```",
      "",
      "</details>",
    ]);
  });

  it("several projects: one row and one section each, sorted", () => {
    const diff = diffWith((t) => INFRA.dropOslogin(INFRA.kindCleanup30(INFRA.addProject(t))), NEWPROJ_GROUP);
    const md = renderMarkdown(diff, TITLE);
    const rows = md.split("\n").filter((l) => l.startsWith("| `"));
    const newproj = diff.projects.find((p) => p.project === "k8s-staging-newproj")!.creates;
    expect(rows.slice(0, 3)).toEqual([
      "| `k8s-staging-cluster-api-gcp` |  |  | **1** |",
      "| `k8s-staging-kind` |  | 2 |  |",
      `| \`k8s-staging-newproj\` | ${newproj} |  |  |`,
    ]);
    expect(rows).toHaveLength(diff.projects.length);
    expect(md.match(/<details>/g)).toHaveLength(diff.projects.length);
    expect(md.match(/```diff/g)).toHaveLength(diff.projects.length);
    expect(md).toMatch(new RegExp(`\\n${diff.totals.creates} to create, 2 to change, 1 to delete in 3 staging projects( and .*)?\\n`));
  });

  it("more than 20 protected deletions: the first 20, then how many more", () => {
    const diff = diffWith((t) =>
      ["boskos", "cluster-api-gcp", "kind", "kueue", "releng"].reduce(
        (s, id) => s.replace(new RegExp(`\\n      k8s-staging-${id}:\\n(        .*\\n)*`), "\n"),
        t,
      ),
    );
    // each project: its project, 2 repositories, 2 buckets, image-builder account and writers group
    expect(diff.protectedDeletes).toHaveLength(35);
    const caution = renderMarkdown(diff, TITLE)
      .split("\n")
      .filter((l) => l.startsWith(">"));
    expect(caution[1]).toBe("> This change deletes 35 protected resource(s); it cannot be applied as is:");
    expect(caution.filter((l) => l.startsWith("> - `"))).toHaveLength(20);
    expect(caution.at(-1)).toBe("> - ... and 15 more");
  });

  it("a long project section is cut after 120 lines, with a pointer to the local command", () => {
    // one shared project with 30 repositories: far more than 120 resources in one section
    const names = Array.from({ length: 30 }, (_, i) => `repo${i}`);
    const head = planOf(
      writeTree({ "infra.yaml": infra("k8s-staging-wide:", "  repositories:", ...names.map((x) => `    ${x}:`)), "groups/sig-wide/groups.yaml": exampleGroups(names) }),
    );
    const diff = diffPlans({ stack: "example", resources: [] }, head);
    const wide = diff.projects.find((p) => p.project === "k8s-staging-wide")!;
    expect(wide.creates).toBeGreaterThan(120);
    const md = renderMarkdown(diff, TITLE);
    const s = section(md, "k8s-staging-wide");
    expect(s[0]).toBe(`<details><summary><code>k8s-staging-wide</code>: +${wide.creates} ~0 -0</summary>`);
    const body = s.slice(3, -3);
    expect(body).toHaveLength(121);
    expect(body.slice(0, 120).every((l) => l.startsWith("+ "))).toBe(true);
    expect(body[120]).toBe(`# ... ${wide.creates - 120} more lines: run npm run plan -- --diff locally`);
    // the table still has the whole count
    expect(md).toContain(`\n| \`k8s-staging-wide\` | ${wide.creates} |  |  |\n`);
  });

  it("200 projects changed (a retention change in every project): one row each, under 65,536 characters, says how many projects are left out", () => {
    const dir = manyProjects(200);
    const config = exampleConfig();
    const shorter = { ...config, repositoryRetentionDays: 30 };
    const diff = diffPlans(planOf(dir, config), planOf(dir, shorter));
    expect(diff.projects).toHaveLength(200);
    const md = renderMarkdown(diff, TITLE);
    expect(md.length).toBeLessThan(GITHUB_LIMIT);
    expect(md.split("\n").filter((l) => l.startsWith("| `k8s-staging-p"))).toHaveLength(200);
    const sections = md.match(/<details>/g)?.length ?? 0;
    expect(sections).toBeLessThan(200);
    expect(md.trimEnd().split("\n").at(-1)).toBe(
      `${200 - sections} more projects are in the table above; run \`npm run plan -- --diff\` for all details.`,
    );
  });

  /** A synthetic diff of `n` projects with `k` created resources each, built from plans directly. */
  function syntheticDiff(n: number, k: number): PlanDiff {
    const resources: PlanResource[] = [];
    for (let i = 0; i < n; i++) {
      const id = `k8s-staging-s${String(i).padStart(3, "0")}`;
      const component = `urn:pulumi:prod::k8s-infra-staging::k8s-infra-staging:index:DedicatedStagingProject::${id}`;
      resources.push({ urn: component, type: "k8s-infra-staging:index:DedicatedStagingProject", name: id, parent: null, protect: false, retainOnDelete: false, dependsOn: [], inputs: {} });
      for (let j = 0; j < k; j++) {
        const name = `${id}/roles/storage.objectViewer/user:someone-with-a-long-name-${j}@example.com`;
        resources.push({
          urn: `urn:pulumi:prod::k8s-infra-staging::k8s-infra-staging:index:DedicatedStagingProject$gcp:projects/iAMMember:IAMMember::${name}`,
          type: "gcp:projects/iAMMember:IAMMember",
          name,
          parent: component,
          protect: false,
          retainOnDelete: false,
          dependsOn: [],
          inputs: { role: "roles/storage.objectViewer" },
        });
      }
    }
    const head: Plan = { stack: "prod", resources };
    return diffPlans({ stack: "prod", resources: [] }, head);
  }

  it("200 synthetic projects with a few lines each: under the limit, and the left-out count is right", () => {
    const diff = syntheticDiff(200, 2);
    const md = renderMarkdown(diff, TITLE);
    expect(md.length).toBeLessThan(GITHUB_LIMIT);
    expect(md.split("\n").filter((l) => l.startsWith("| `k8s-staging-s"))).toHaveLength(200);
    const sections = md.match(/<details>/g)?.length ?? 0;
    expect(md).toContain(`\n${200 - sections} more projects are in the table above; run \`npm run plan -- --diff\` for all details.\n`);
  });

  // 200 new projects (~45 resources each) would be ~575,000 characters without the budget, which GitHub refuses.
  it("200 new projects (a full section each): still under 65,536 characters, with the left-out count", () => {
    const diff = diffPlans({ stack: "example", resources: [] }, planOf(manyProjects(200)));
    const md = renderMarkdown(diff, TITLE);
    expect(md.split("\n").filter((l) => l.startsWith("| `k8s-staging-p"))).toHaveLength(200);
    expect(md.length).toBeLessThan(GITHUB_LIMIT);
    const sections = md.match(/<details>/g)?.length ?? 0;
    expect(md).toContain(`\n${diff.projects.length - sections} more projects are in the table above`);
  });
});

describe("npm run plan -- --markdown FILE (the command)", () => {
  it("without --diff writes the full plan as a comment, and still prints the listing", () => {
    const file = path.join(tempDir("review-md-"), "plan.md");
    const r = runCli("plan.ts", ["--markdown", file]);
    expect(r.status).toBe(0);
    expect(r.out.at(-1)).toBe(`${base.resources.length} resources in 6 staging projects, 4 shared repositories`);
    const md = fs.readFileSync(file, "utf8");
    const title = "Staging estate: full plan of stack example";
    expect(md).toBe(renderMarkdown(diffPlans({ stack: "example", resources: [] }, base), title));
    const lines = md.split("\n");
    expect(lines.slice(0, 2)).toEqual([`### ${title}`, ""]);
    expect(lines[2]).toMatch(new RegExp(`^${base.resources.length} to create, 0 to change, 0 to delete in 6 staging projects(,| and) .*the image promoter$`));
    const rows = lines.filter((l) => l.startsWith("| `"));
    expect(rows.map((l) => l.split(" | ")[0])).toEqual(expect.arrayContaining([
      "| `image-promoter`",
      "| `k8s-staging-boskos`",
      "| `k8s-staging-cluster-api-gcp`",
      "| `k8s-staging-images`",
      "| `k8s-staging-kind`",
      "| `k8s-staging-kueue`",
      "| `k8s-staging-releng`",
    ]));
    expect(rows.map((l) => l.split(" | ")[0])).toEqual(rows.map((l) => l.split(" | ")[0]).sort());
    expect(rows.every((l) => / \| \d+ \|  \|  \|$/.test(l))).toBe(true);
    expect(rows.reduce((n, l) => n + Number(l.split(" | ")[1]), 0)).toBe(base.resources.length);
    expect(md.match(/<details>/g)).toHaveLength(rows.length);
    expect(md).not.toContain("[!CAUTION]");
    expect(md.length).toBeLessThan(GITHUB_LIMIT);
  });
});
