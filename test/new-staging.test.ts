/**
 * `npm run new-staging`: the change set for a new staging repository, on a copy of the bundled
 * catalog (stack example) and of the real k8s.io sample (stack prod).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { LAYOUTS, type Layout } from "../src/catalog/layout";
import { shortenGroupName } from "../src/catalog/new-staging";
import { K8SIO, copySample } from "./fixtures/k8sio/sample";
import { EXAMPLE_POLICY, PROD_POLICY, REPO_ROOT, snapshot, tempDir } from "./helpers";

const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");

function newStaging(...args: string[]) {
  const r = spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/new-staging.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  const lines = (s: string) => s.split("\n").filter((l) => l !== "");
  return { status: r.status, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}

/** The files that differ between two snapshots. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f)).sort();
}

/** The files of a change set for images and manifests folder `dir` with its group in `sig`, sorted. */
function changeSet(layout: Layout, dir: string, sig: string): string[] {
  const { groups, images, manifests, infra } = layout;
  return [`${groups}/restrictions.yaml`, `${groups}/${sig}/groups.yaml`, `${images}/${dir}/OWNERS`, `${images}/${dir}/images.yaml`, infra, `${manifests}/${dir}/promoter-manifest.yaml`].sort();
}

function copyProjects(): string {
  const root = tempDir("new-staging-");
  fs.cpSync(path.join(REPO_ROOT, "projects"), root, { recursive: true });
  return root;
}

const errorsOf = (root: string, policy = EXAMPLE_POLICY, layout = LAYOUTS.projects) =>
  loadCatalog(root, policy, layout).problems.filter((p) => p.severity === "error");

function destinations(name: string, policy = EXAMPLE_POLICY): string {
  return policy.productionRegistries.map((r) => `  - name: ${r}/${name}\n    service-account: ${policy.promoterServiceAccount}\n`).join("");
}

describe("new-staging on the bundled catalog", () => {
  it("dry run lists the change set and writes nothing", () => {
    const root = copyProjects();
    const before = snapshot(root);
    const r = newStaging("foo", "--catalog", root, "--approvers", "alice,bob", "--members", "a@example.com");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("create images/k8s-staging-foo/images.yaml");
    expect(r.stdout).toContain("modify infra.yaml (at line 49)");
    expect(r.stdout).toContain("+       k8s-staging-foo:");
    expect(r.stdout.at(-1)).toBe(
      "3 files to create, 3 to modify for k8s-staging-foo (writers k8s-infra-staging-foo@example.com); validates clean; run again with --write to write them",
    );
    expect(changed(before, snapshot(root))).toEqual([]);
  });

  it("writes a dedicated project: the new files byte for byte, edits in place, validates clean", () => {
    const root = copyProjects();
    const before = snapshot(root);
    const r = newStaging("foo", "--catalog", root, "--approvers", "alice,bob", "--members", "a@example.com,b@example.com", "--sig", "sig-testing", "--write");
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout.at(-1)).toBe("wrote 3 files created, 3 modified for k8s-staging-foo (writers k8s-infra-staging-foo@example.com)");
    const after = snapshot(root);
    expect(changed(before, after)).toEqual(changeSet(LAYOUTS.projects, "k8s-staging-foo", "sig-testing"));
    expect(after.get("images/k8s-staging-foo/images.yaml")).toBe("# yaml-language-server: $schema=../../../schemas/images.schema.json\n# No images yet\n");
    expect(after.get("images/k8s-staging-foo/OWNERS")).toBe(
      "# yaml-language-server: $schema=../../../schemas/owners.schema.json\n# See the OWNERS docs at https://go.k8s.io/owners\n\napprovers:\n  - alice\n  - bob\n\nreviewers:\n  - alice\n  - bob\n",
    );
    expect(after.get("manifests/k8s-staging-foo/promoter-manifest.yaml")).toBe(
      "# yaml-language-server: $schema=../../../schemas/promoter-manifest.schema.json\n" +
        "# google group for gcr.io/k8s-staging-foo is k8s-infra-staging-foo@example.com\n" +
        "registries:\n  - name: gcr.io/k8s-staging-foo\n    src: true\n" +
        destinations("foo"),
    );
    // infra.yaml: one line added after the last dedicated project; every comment and byte else kept.
    const infra = before.get("infra.yaml")!;
    expect(after.get("infra.yaml")).toBe(infra.replace("        release: true\n", "        release: true\n      k8s-staging-foo:\n"));
    expect(after.get("infra.yaml")).toContain("# dedicated staging projects: empty value means all defaults");
    expect(after.get("groups/sig-testing/groups.yaml")).toBe(
      before.get("groups/sig-testing/groups.yaml")! +
        "\n  - email-id: k8s-infra-staging-foo@example.com\n    name: k8s-infra-staging-foo\n    description: |-\n      ACL for staging k8s-staging-foo images\n" +
        '    settings:\n      ReconcileMembers: "true"\n    members:\n      - a@example.com\n      - b@example.com\n',
    );
    expect(after.get("groups/restrictions.yaml")).toBe(
      before
        .get("groups/restrictions.yaml")!
        .replace('      - "^k8s-infra-staging-kind@example.com$"\n', '      - "^k8s-infra-staging-kind@example.com$"\n      - "^k8s-infra-staging-foo@example.com$"\n'),
    );
    expect(errorsOf(root)).toEqual([]);
    const project = loadCatalog(root, EXAMPLE_POLICY, LAYOUTS.projects).catalog!.projects.find((p) => p.id === "k8s-staging-foo");
    expect(project).toMatchObject({ kind: "dedicated", writers: "k8s-infra-staging-foo@example.com" });
  });

  it("writes a repository of the shared project with --shared", () => {
    const root = copyProjects();
    const before = snapshot(root);
    const r = newStaging("bar", "--shared", "--catalog", root, "--approvers", "alice", "--members", "a@example.com", "--write");
    expect(r.status).toBe(0);
    const after = snapshot(root);
    expect(changed(before, after)).toEqual(changeSet(LAYOUTS.projects, "k8s-staging-bar", "sig-k8s-infra"));
    expect(after.get("infra.yaml")).toBe(before.get("infra.yaml")!.replace("              dryRun: true\n", "              dryRun: true\n          bar:\n"));
    expect(after.get("manifests/k8s-staging-bar/promoter-manifest.yaml")).toBe(
      "# yaml-language-server: $schema=../../../schemas/promoter-manifest.schema.json\n" +
        "# google group for us-central1-docker.pkg.dev/k8s-staging-images/bar is k8s-infra-staging-bar@example.com\n" +
        "registries:\n  - name: us-central1-docker.pkg.dev/k8s-staging-images/bar\n    src: true\n" +
        destinations("bar"),
    );
    expect(after.get("groups/restrictions.yaml")).toContain('      - "^sig-k8s-infra-leads@example.com$"\n      - "^k8s-infra-staging-bar@example.com$"\n');
    expect(errorsOf(root)).toEqual([]);
    const shared = loadCatalog(root, EXAMPLE_POLICY, LAYOUTS.projects).catalog!.projects.find((p) => p.id === "k8s-staging-images");
    expect(shared?.kind === "shared" && shared.repositories.map((x) => x.name)).toContain("bar");
  });

  it("check-change accepts the change set as one pull request", () => {
    const root = copyProjects();
    expect(newStaging("foo", "--catalog", root, "--approvers", "alice", "--members", "a@example.com", "--write").status).toBe(0);
    const touched = [
      "M:infra.yaml",
      "A:images/k8s-staging-foo/images.yaml",
      "A:images/k8s-staging-foo/OWNERS",
      "A:manifests/k8s-staging-foo/promoter-manifest.yaml",
      "M:groups/sig-k8s-infra/groups.yaml",
      "M:groups/restrictions.yaml",
    ].map((f) => `${f.slice(0, 2)}${path.join(root, f.slice(2))}`);
    const r = spawnSync(TSX, [path.join(REPO_ROOT, "src/cli/check-change.ts"), "--catalog", root, "--files", ...touched], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("6 catalog files changed; 0 rule violations");
    expect(r.stdout).toContain("catalog valid");
  });

  it("a long name gets a shortened writers group, and says so", () => {
    expect(shortenGroupName("cluster-inventory-tools")).toBe("cluster-inventory");
    expect(shortenGroupName("abcdefghijklmnopqrstuvwxyz")).toBe("abcdefghijklmnopqr");
    const root = copyProjects();
    const r = newStaging("cluster-inventory-tools", "--shared", "--catalog", root, "--approvers", "alice", "--members", "a@example.com", "--sig", "sig-multicluster", "--write");
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe(
      "k8s-infra-staging-cluster-inventory-tools is longer than 18 characters after k8s-infra-staging-; using k8s-infra-staging-cluster-inventory@example.com (pass --writers to choose another)",
    );
    const infra = fs.readFileSync(path.join(root, "infra.yaml"), "utf8");
    expect(infra).toContain("          cluster-inventory-tools:\n            writers: k8s-infra-staging-cluster-inventory@example.com\n");
    expect(fs.readFileSync(path.join(root, "groups/sig-multicluster/groups.yaml"), "utf8")).toContain("  - email-id: k8s-infra-staging-cluster-inventory@example.com\n");
    expect(errorsOf(root)).toEqual([]);
  });

  it("refuses an existing project or repository, and a change set that would not validate, writing nothing", () => {
    const root = copyProjects();
    const before = snapshot(root);
    const kind = newStaging("kind", "--catalog", root, "--approvers", "alice", "--write");
    expect(kind.status).toBe(1);
    expect(kind.stdout).toEqual(["new-staging: k8s-staging-kind already exists in infra.yaml; nothing is written"]);
    const kro = newStaging("kro", "--shared", "--catalog", root, "--approvers", "alice", "--write");
    expect(kro.status).toBe(1);
    expect(kro.stdout).toEqual(["new-staging: repository kro already exists in k8s-staging-images (infra.yaml); nothing is written"]);
    // A dedicated project id over 30 characters: the validator refuses it.
    const long = newStaging("node-readiness-controller-extra", "--catalog", root, "--approvers", "alice", "--write");
    expect(long.status).toBe(1);
    expect(long.stdout.at(-1)).toMatch(/^new-staging: the change set would add \d+ validation errors?; nothing is written$/);
    expect(long.stderr.join("\n")).toContain('project id "k8s-staging-node-readiness-controller-extra" must be 6 to 30 characters long');
    expect(changed(before, snapshot(root))).toEqual([]);
  });

  it("usage errors exit 2", () => {
    const root = copyProjects();
    expect(newStaging("--catalog", root).status).toBe(2);
    expect(newStaging("Bad", "--catalog", root, "--approvers", "a").status).toBe(2);
    expect(newStaging("foo", "--catalog", root).status).toBe(2);
    expect(newStaging("foo", "--catalog", root, "--approvers", "a", "--nope").status).toBe(2);
  });
});

describe("new-staging on the k8s.io sample (stack prod)", () => {
  it("a dedicated project writes under registry.k8s.io/images, registry.k8s.io/manifests and groups/", () => {
    const root = copySample();
    const before = snapshot(root);
    const baseline = errorsOf(root, PROD_POLICY, K8SIO).length;
    const r = newStaging("my-new-thing", "--catalog", root, "--stack", "prod", "--approvers", "alice", "--members", "alice@google.com", "--sig", "sig-testing", "--write");
    expect(r.stderr).toEqual([]);
    expect(r.status).toBe(0);
    const after = snapshot(root);
    expect(changed(before, after)).toEqual(changeSet(K8SIO, "k8s-staging-my-new-thing", "sig-testing"));
    expect(after.get("registry.k8s.io/images/k8s-staging-my-new-thing/images.yaml")).toBe("# No images yet\n");
    expect(after.get("registry.k8s.io/manifests/k8s-staging-my-new-thing/promoter-manifest.yaml")).toBe(
      "# google group for gcr.io/k8s-staging-my-new-thing is k8s-infra-staging-my-new-thing@kubernetes.io\n" +
        "registries:\n  - name: gcr.io/k8s-staging-my-new-thing\n    src: true\n" +
        destinations("my-new-thing", PROD_POLICY),
    );
    // The sample's style of lists under members: (not indented) is kept.
    expect(after.get("groups/sig-testing/groups.yaml")).toContain("    members:\n    - alice@google.com\n");
    expect(after.get("infra/gcp/infra.yaml")!.split("\n").length).toBe(before.get("infra/gcp/infra.yaml")!.split("\n").length + 1);
    expect(errorsOf(root, PROD_POLICY, K8SIO).length).toBe(baseline);
    // The sample has errors of its own (so no catalog): none is about the new project.
    expect(errorsOf(root, PROD_POLICY, K8SIO).filter((p) => p.message.includes("my-new-thing"))).toEqual([]);
  });
});
