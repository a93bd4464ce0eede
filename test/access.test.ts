/**
 * `npm run access`: who can push to a registry and what a member can push to, from the
 * estate's declarations (the example catalog, crafted copies of it, and the real sample on prod).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessOf, memberReach, registryAddress } from "../src/estate/access";
import { buildEstate } from "../src/estate/estate";
import { toPlan } from "../src/estate/plan";
import { guardResources } from "../src/policy/offline";
import { copySample, removeStalePromotions, repairGroups, TERRAFORM } from "./fixtures/k8sio/sample";
import { bundledCatalog, copyBundled, exampleConfig, removeTempDirs } from "./fixtures/estate/support";
import { PROD_POLICY, REPO_ROOT } from "./helpers";

afterAll(removeTempDirs);

const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");
const CHARTS = "us-central1-docker.pkg.dev/k8s-staging-images/charts";
const BUILDER = "gcb-builder@example-prow-build-trusted.iam.gserviceaccount.com";

function access(args: string[]) {
  const r = spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/access.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lines = (s: string) => s.split("\n").filter((l) => l !== "");

describe("registry addresses", () => {
  it("gcr.io-domain repositories by their host, the rest under LOCATION-docker.pkg.dev", () => {
    expect(registryAddress("k8s-staging-kind", "us", "gcr.io")).toBe("gcr.io/k8s-staging-kind");
    expect(registryAddress("k8s-staging-kind", "europe", "eu.gcr.io")).toBe("eu.gcr.io/k8s-staging-kind");
    expect(registryAddress("k8s-staging-kind", "us-central1", "images")).toBe("us-central1-docker.pkg.dev/k8s-staging-kind/images");
  });
});

describe("npm run access on the example catalog", () => {
  it("--registry of a shared repository: the writers group with its members, the build account and who may act as it", () => {
    const r = access(["--registry", CHARTS]);
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    const at = (l: string) => out.indexOf(l);
    expect(out).toContain(`group:k8s-infra-staging-charts@example.com  roles/artifactregistry.writer on repository ${CHARTS}`);
    const group = at(`group:k8s-infra-staging-charts@example.com  roles/artifactregistry.writer on repository ${CHARTS}`);
    expect(out.slice(group + 1, group + 3)).toEqual(["  user:frank@example.com (member)", "  user:xavier@example.com (member)"]);
    const sa = at(`serviceAccount:charts-sa@k8s-staging-images.iam.gserviceaccount.com  roles/artifactregistry.writer on repository ${CHARTS}`);
    expect(sa).toBeGreaterThan(-1);
    expect(out.slice(sa + 1, sa + 3)).toEqual([
      `  serviceAccount:${BUILDER}  roles/iam.serviceAccountUser on service account charts-sa@k8s-staging-images.iam.gserviceaccount.com (may act as it)`,
      "  serviceAccount:example-prow-build-trusted.svc.id.goog[test-pods/charts]  roles/iam.workloadIdentityUser on service account charts-sa@k8s-staging-images.iam.gserviceaccount.com (may act as it)",
    ]);
    // the account's grant to itself adds no one
    expect(r.stdout).not.toContain("serviceAccountTokenCreator");
    expect(out).toContain(`group:k8s-infra-artifact-admins@example.com  roles/artifactregistry.repoAdmin on repository ${CHARTS}`);
  });

  it("--registry of a dedicated project's gcr.io repository (with the address given in any case and a trailing slash)", () => {
    const r = access(["--registry", "GCR.io/k8s-staging-boskos/"]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout).slice(-4)).toEqual([
      "group:k8s-infra-staging-boskos@example.com  roles/artifactregistry.writer on repository gcr.io/k8s-staging-boskos",
      "  user:alice@example.com (member)",
      "  user:bob@example.com (member)",
      "  user:carol@example.com (member)",
    ]);
  });

  it("--member of a person in two groups: every registry of both, through each group", () => {
    const r = access(["--member", "frank@example.com"]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout).sort()).toEqual([
      "gcr.io/k8s-staging-kueue  roles/artifactregistry.writer, through group:k8s-infra-staging-kueue@example.com (manager)",
      `${CHARTS}  roles/artifactregistry.writer, through group:k8s-infra-staging-charts@example.com (member)`,
      "us-central1-docker.pkg.dev/k8s-staging-kueue/images  roles/artifactregistry.writer, through group:k8s-infra-staging-kueue@example.com (manager)",
    ]);
  });

  it("--member of a person added to a second group in a copy of the catalog gets both groups' registries", () => {
    const dir = copyBundled();
    const file = path.join(dir, "groups/sig-k8s-infra/groups.yaml");
    const text = fs.readFileSync(file, "utf8");
    const charts = "    members:\n      - frank@example.com\n      - xavier@example.com\n";
    expect(text.split(charts)).toHaveLength(2);
    fs.writeFileSync(file, text.replace(charts, charts + "      - alice@example.com\n"));
    const r = access(["--catalog", dir, "--member", "user:alice@example.com"]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout).sort()).toEqual([
      "gcr.io/k8s-staging-boskos  roles/artifactregistry.writer, through group:k8s-infra-staging-boskos@example.com (member)",
      `${CHARTS}  roles/artifactregistry.writer, through group:k8s-infra-staging-charts@example.com (member)`,
      "us-central1-docker.pkg.dev/k8s-staging-boskos/images  roles/artifactregistry.writer, through group:k8s-infra-staging-boskos@example.com (member)",
    ].sort());
  });

  it("--member of the build account: each shared repository, acting as its account", () => {
    const r = access(["--member", BUILDER]);
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.split("  ")[0]).sort()).toEqual(
      ["charts", "cluster-inventory-api", "kro", "node-readiness-controller"].map((n) => `us-central1-docker.pkg.dev/k8s-staging-images/${n}`),
    );
    expect(out).toContain(
      `${CHARTS}  roles/artifactregistry.writer, acting as serviceAccount:charts-sa@k8s-staging-images.iam.gserviceaccount.com (roles/iam.serviceAccountUser on service account charts-sa@k8s-staging-images.iam.gserviceaccount.com)`,
    );
  });

  it("a project-level write role counts for every repository of the project (editor on kueue for the kind writers)", () => {
    const dir = copyBundled();
    const infra = path.join(dir, "infra.yaml");
    fs.writeFileSync(
      infra,
      fs.readFileSync(infra, "utf8").replace("      k8s-staging-kueue:\n", "      k8s-staging-kueue:\n        iam:\n          - role: roles/editor\n            members: [group:k8s-infra-staging-kind@example.com]\n"),
    );
    const r = access(["--catalog", dir, "--registry", "gcr.io/k8s-staging-kueue"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("group:k8s-infra-staging-kind@example.com  roles/editor on project k8s-staging-kueue\n");
    const kind = accessOf(guardResources(toPlan(buildEstate(bundledCatalog(), exampleConfig(), "example"))), bundledCatalog());
    expect(memberReach(kind, "group:k8s-infra-staging-kind@example.com").every((x) => x.registry.project === "k8s-staging-kind")).toBe(true);
  });

  it("an unknown registry or member: one line naming what to give instead, exit 1", () => {
    const r = access(["--registry", "gcr.io/k8s-staging-nope"]);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toMatch(/^gcr\.io\/k8s-staging-nope is not a repository of stack example; give one of its 14 repository addresses, e\.g\. gcr\.io\/k8s-staging-boskos/);
    const m = access(["--member", "nobody@example.org"]);
    expect(m.status).toBe(1);
    expect(m.stdout).toBe("nobody@example.org is in no grant or group of stack example; give the email of a user, group or service account the catalog names\n");
  });

  it("usage: neither or both of --registry and --member, or an unknown flag, exit 2", () => {
    for (const args of [[], ["--registry", CHARTS, "--member", "frank@example.com"], ["--bogus", "x"]]) {
      const r = access(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("usage: npm run access -- [--catalog DIR] [--stack NAME] (--registry ADDRESS | --member EMAIL | --changes BASE_CATALOG_DIR [--markdown FILE])");
    }
  });

  it("--changes BASE: a writer replaced in a group is one added and one removed pusher, in the log and the Write access markdown", () => {
    const base = copyBundled();
    const head = copyBundled();
    const groups = path.join(head, "groups", "sig-k8s-infra", "groups.yaml");
    const text = fs.readFileSync(groups, "utf8");
    const marker = "ACL for staging Helm charts in the shared charts repository\n    settings:\n      ReconcileMembers: \"true\"\n    members:\n      - frank@example.com\n";
    expect(text).toContain(marker);
    fs.writeFileSync(groups, text.replace(marker, marker.replace("frank@", "mallory@")));
    const md = path.join(head, "..", `access-${path.basename(head)}.md`);
    const r = access(["--catalog", head, "--changes", base, "--markdown", md]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      `${CHARTS}: + user:mallory@example.com (member) via group:k8s-infra-staging-charts@example.com`,
      `${CHARTS}: - user:frank@example.com (member) via group:k8s-infra-staging-charts@example.com`,
      "write access: 2 changes in 1 registries",
    ]);
    expect(fs.readFileSync(md, "utf8")).toBe(
      "### Write access\n\nThis change alters who can push to 1 registry:\n\n" +
        `- \`${CHARTS}\`: 1 added, 1 removed\n` +
        "  - \\+ `user:mallory@example.com (member) via group:k8s-infra-staging-charts@example.com`\n" +
        "  - \\- `user:frank@example.com (member) via group:k8s-infra-staging-charts@example.com`\n\n",
    );
    // unchanged: an empty section
    const same = access(["--catalog", base, "--changes", base, "--markdown", md]);
    expect(same.status).toBe(0);
    expect(lines(same.stdout)).toEqual(["write access: unchanged"]);
    expect(fs.readFileSync(md, "utf8")).toBe("");
    fs.rmSync(md);
    // a --markdown that cannot be written (a folder, a missing folder): one line, exit 2
    for (const bad of [base, path.join(base, "no-such-folder", "w.md")]) {
      const r2 = access(["--catalog", base, "--changes", base, "--markdown", bad]);
      expect(r2.status, r2.stderr).toBe(2);
      expect(r2.stderr).not.toMatch(/\n\s+at /);
      expect(r2.stderr.split("\n").find((l) => l.startsWith("error:"))).toMatch(/^error: cannot write .*: (it is a folder|its folder does not exist)$/);
    }
  });

  it("a catalog error: FILE:LINE:COL: error: lines, exit 1", () => {
    const dir = copyBundled();
    fs.writeFileSync(path.join(dir, "infra.yaml"), "infra:\n  staging:\n    projects:\n      bad_id: {}\n");
    const r = access(["--catalog", dir, "--registry", CHARTS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^infra\.yaml:\d+:\d+: error: .*project id "bad_id"/m);
    expect(r.stdout).toContain("access is not computed");
  });
});

describe("npm run access on the real sample (stack prod)", () => {
  let sample: string;
  beforeAll(() => {
    sample = copySample();
    const migrated = spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/migrate.ts"), "--terraform", path.join(sample, TERRAFORM), "--write"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(migrated.status, migrated.stderr).toBe(0);
    repairGroups(sample);
    removeStalePromotions(sample, PROD_POLICY);
  }, 120_000);
  afterAll(() => fs.rmSync(sample, { recursive: true, force: true }));

  it("--registry of boskos's images: its writers group with the sample's members", () => {
    const r = access(["--stack", "prod", "--catalog", sample, "--registry", "us-central1-docker.pkg.dev/k8s-staging-boskos/images"]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toContain("group:k8s-infra-staging-boskos@kubernetes.io  roles/artifactregistry.writer on repository us-central1-docker.pkg.dev/k8s-staging-boskos/images");
    expect(r.stdout).toMatch(/^ {2}user:[^ ]+ \(member\)$/m);
    const back = lines(r.stdout).find((l) => /^ {2}user:/.test(l))!.slice("  user:".length).replace(" (member)", "");
    const m = access(["--stack", "prod", "--catalog", sample, "--member", back]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toContain("us-central1-docker.pkg.dev/k8s-staging-boskos/images  roles/artifactregistry.writer, through group:k8s-infra-staging-boskos@kubernetes.io (member)");
  }, 60_000);
});
