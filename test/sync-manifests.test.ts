/**
 * `npm run sync-manifests`: every manifest's destinations exactly the stack's production roots
 * per destination path, on a copy of the bundled catalog and of the real k8s.io sample.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { isCoverageProblem, syncManifestText } from "../src/catalog/sync-manifests";
import { K8SIO, SAMPLE, copySample } from "./fixtures/k8sio/sample";
import { EXAMPLE_POLICY, PROD_POLICY, REPO_ROOT, snapshot, tempDir } from "./helpers";

const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");

function run(script: string, ...args: string[]) {
  const r = spawnSync(TSX, [path.join(REPO_ROOT, "src/cli", script), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  const lines = (s: string) => s.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}
const sync = (...args: string[]) => run("sync-manifests.ts", ...args);

function copyProjects(): string {
  const root = tempDir("sync-");
  fs.cpSync(path.join(REPO_ROOT, "projects"), root, { recursive: true });
  return root;
}

const KIND = "manifests/k8s-staging-kind/promoter-manifest.yaml";
const SA = EXAMPLE_POLICY.promoterServiceAccount;
const entry = (region: string) => `  - name: ${region}-docker.pkg.dev/example-artifacts-prod/images/kind\n    service-account: ${SA}\n`;

describe("npm run sync-manifests on the bundled catalog", () => {
  it("in sync: exit 0 and no file changes", () => {
    const root = copyProjects();
    const before = snapshot(root);
    const r = sync("--catalog", root);
    expect(r.status).toBe(0);
    expect(r.stdout.at(-1)).toMatch(/^all \d+ manifests are in sync with the production roots of stack example$/);
    expect(sync("--catalog", root, "--write").status).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  it("a missing region, a retired one and a duplicate: listed (exit 1), repaired byte for byte with --write, then valid and in sync", () => {
    const root = copyProjects();
    const file = path.join(root, KIND);
    const original = fs.readFileSync(file, "utf8");
    expect(original.endsWith(entry("us-west2"))).toBe(true);
    // a comment on a kept destination, one region removed, a retired region and a duplicate added
    const commented = original.replace(entry("asia-east1"), `  # the first destination (kept)\n${entry("asia-east1")}`);
    const broken = commented
      .replace(entry("europe-west1"), "")
      .replace(entry("us-east1"), `${entry("us-east1")}${entry("europe-west6")}${entry("us-east1")}`);
    fs.writeFileSync(file, broken);
    const before = snapshot(root);

    const dry = sync("--catalog", root);
    expect(dry.status).toBe(1);
    expect(dry.stdout).toEqual([
      `${KIND}: - europe-west6-docker.pkg.dev/example-artifacts-prod/images/kind (not a configured production root)`,
      `${KIND}: - us-east1-docker.pkg.dev/example-artifacts-prod/images/kind (listed twice)`,
      `${KIND}: + europe-west1-docker.pkg.dev/example-artifacts-prod/images/kind`,
      expect.stringMatching(/^1 of \d+ manifests out of sync with the production roots of stack example; run npm run sync-manifests -- --write$/),
    ]);
    expect(snapshot(root)).toEqual(before);

    const fixed = sync("--catalog", root, "--write");
    expect(fixed.status).toBe(0);
    expect(fixed.stdout.at(-1)).toMatch(/^repaired 1 of \d+ manifests$/);
    // the added region goes after the last destination of its path, a copy of it with the name changed
    expect(fs.readFileSync(file, "utf8")).toBe(commented.replace(entry("europe-west1"), "") + entry("europe-west1"));
    const after = snapshot(root);
    for (const [rel, text] of before) if (rel !== KIND) expect(after.get(rel)).toBe(text);

    const valid = run("validate.ts", "--catalog", root);
    expect(valid.status).toBe(0);
    expect(valid.stdout.at(-1)).toBe("0 errors, 0 warnings");
    expect(sync("--catalog", root).status).toBe(0);
  });

  it("a manifest with an error other than coverage: exit 1 with FILE:LINE:COL lines, nothing written", () => {
    const root = copyProjects();
    const kind = path.join(root, KIND);
    fs.writeFileSync(kind, fs.readFileSync(kind, "utf8").replace(entry("europe-west1"), ""));
    const releng = path.join(root, "manifests/k8s-staging-releng/promoter-manifest.yaml");
    fs.writeFileSync(releng, fs.readFileSync(releng, "utf8").replace(`service-account: ${SA}`, "service-account: someone@example.com"));
    const before = snapshot(root);
    const r = sync("--catalog", root, "--write");
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual([expect.stringMatching(/^manifests\/k8s-staging-releng\/promoter-manifest\.yaml:\d+:\d+: error: service-account "someone@example\.com" must be the promoter account /)]);
    expect(r.stdout).toEqual(["1 manifest cannot be synced; nothing is written"]);
    expect(snapshot(root)).toEqual(before);
  });

  it("usage errors exit 2", () => {
    expect(sync("--frobnicate").status).toBe(2);
    expect(sync("--stack", "nope").status).toBe(2);
    expect(sync("--catalog", path.join(tempDir(), "missing")).status).toBe(2);
  });
});

describe("syncManifestText", () => {
  const roots = ["a.example/p/images", "b.example/p/images", "c.example/p/images"];
  it("keeps an unindented list, comments, quoting, CRLF and a missing final newline; a removed entry's comment moves to the next; a new entry copies the last of its path", () => {
    const lines = [
      "# header",
      "registries:",
      "- name: gcr.io/staging-x # the source",
      "  src: true",
      "- name: 'a.example/p/images/x'",
      "  service-account: promoter@p.iam.gserviceaccount.com",
      "# retired",
      "- name: z.example/p/images/x",
      "  service-account: promoter@p.iam.gserviceaccount.com",
      "- name: c.example/p/images/x",
      "  service-account: promoter@p.iam.gserviceaccount.com",
    ];
    const out = syncManifestText(lines.join("\r\n"), roots);
    // z goes (its comment stays, above c); b is added after c, the last destination of the path, as a copy of it
    const expected = [...lines.slice(0, 7), ...lines.slice(9), "- name: b.example/p/images/x", lines[10]!];
    expect(out).toEqual({
      text: expected.join("\r\n"),
      changes: [
        { op: "-", name: "z.example/p/images/x", why: "not a configured production root" },
        { op: "+", name: "b.example/p/images/x" },
      ],
    });
  });

  it("refuses a manifest whose destinations are all under other roots (its path is unknown)", () => {
    const out = syncManifestText("registries:\n- name: gcr.io/s\n  src: true\n- name: z.example/p/x\n", roots);
    expect(out).toMatchObject({ index: 1, error: expect.stringMatching(/the destination path is unknown/) });
  });
});

describe("npm run sync-manifests on the real k8s.io sample (stack prod)", () => {
  it("reports the stale manifests, and after --write the validator reports no coverage error", () => {
    const before = loadCatalog(SAMPLE, PROD_POLICY, K8SIO).problems.filter(isCoverageProblem);
    const stale = [...new Set(before.map((p) => p.file))].sort();
    expect(stale.length).toBeGreaterThanOrEqual(19);

    const root = copySample();
    const dry = sync("--stack", "prod", "--catalog", root);
    expect(dry.status).toBe(1);
    const listed = [...new Set(dry.stdout.filter((l) => l.includes(": ")).map((l) => l.slice(0, l.indexOf(": "))))].sort();
    expect(listed).toEqual(stale);
    expect(dry.stdout).toContain(`${K8SIO.manifests}/k8s-staging-boskos/promoter-manifest.yaml: - us-west1-docker.pkg.dev/k8s-artifacts-prod/images/boskos (listed twice)`);
    expect(dry.stdout).toContain(`${K8SIO.manifests}/k8s-staging-boskos/promoter-manifest.yaml: + us-west2-docker.pkg.dev/k8s-artifacts-prod/images/boskos`);
    expect(dry.stdout).toContain(`${K8SIO.manifests}/k8s-staging-apisnoop/promoter-manifest.yaml: - us.gcr.io/k8s-artifacts-prod/apisnoop (not a configured production root)`);
    expect(dry.stdout.at(-1)).toMatch(new RegExp(`^${stale.length} of \\d+ manifests out of sync`));

    const fixed = sync("--stack", "prod", "--catalog", root, "--write");
    expect(fixed.status).toBe(0);
    expect(loadCatalog(root, PROD_POLICY, K8SIO).problems.filter(isCoverageProblem)).toEqual([]);
    const original = snapshot(SAMPLE);
    const after = snapshot(root);
    for (const [rel, text] of original) if (!stale.includes(rel)) expect(after.get(rel), rel).toBe(text);
    // comments above the registries stay
    for (const rel of stale) expect(after.get(rel)!.split("\n")[0]).toBe(original.get(rel)!.split("\n")[0]);
    expect(sync("--stack", "prod", "--catalog", root).status).toBe(0);
  }, 120_000);
});
