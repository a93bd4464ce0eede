import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../src/config";
import {
  DIGEST_A,
  DIGEST_B,
  PROD_POLICY,
  PROMOTER,
  baseCatalog,
  check,
  groupsFile,
  infra,
  manifest,
  productionDestinations,
  stagingGroup,
} from "./helpers";

const IMAGES = "images/k8s-staging-demo/images.yaml";
const MANIFEST = "manifests/k8s-staging-demo/promoter-manifest.yaml";
const GROUPS = "groups/sig-demo/groups.yaml";
const OWNERS = "images/k8s-staging-demo/OWNERS";
const ROOTS = PROD_POLICY.productionRegistries;
const ENTRY_KEYS = "managed_by, folderId, services, writers, release, iam, gcrIam, builderAccounts, buckets, buildBucket, repositories, cleanup";
/** The error for the base project's writers group when groups.yaml lists no entry for it. */
const DEMO_GROUP_MISSING =
  "infra.yaml:5:7: error: writers group k8s-infra-staging-demo@kubernetes.io of k8s-staging-demo has no entry in groups/**/groups.yaml; add it there (the groups reconciler deletes every group groups.yaml does not list)";

/** `text` with its 1-based line `n` replaced by `line` (or removed when `line` is null). */
function withLine(text: string, n: number, line: string | null): string {
  const lines = text.split("\n");
  if (lines[n - 1] === undefined) throw new Error(`no line ${n}`);
  if (line === null) lines.splice(n - 1, 1);
  else lines[n - 1] = line;
  return lines.join("\n");
}

const baseManifest = baseCatalog()[MANIFEST]!;
const images = (...lines: string[]) => lines.join("\n") + "\n";

describe("the base test catalog", () => {
  it("is valid: no problem at all, and a catalog is returned", () => {
    const r = check();
    expect(ROOTS).toHaveLength(22);
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.projects.map((p) => p.id)).toEqual(["k8s-staging-demo"]);
    expect(r.result.catalog?.manifests[0]?.destinations).toHaveLength(22);
    expect(r.result.catalog?.groups.map((g) => g.email)).toEqual(["k8s-infra-staging-demo@kubernetes.io"]);
  });
});

describe("YAML reading", () => {
  it("reports a syntax error at its line", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, "   bad: indentation") });
    expect(r.errors).toEqual([`${IMAGES}:4:1: error: YAML syntax: All mapping items must start at the same column`]);
    expect(r.result.catalog).toBeUndefined();
  });

  it("reports a repeated mapping key at the second occurrence", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, "  name: again") });
    expect(r.errors).toEqual([`${IMAGES}:4:3: error: key "name" is repeated (first at line 1); remove one of them`]);
  });

  it("reports a repeated digest key in a dmap", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, `    "${DIGEST_A}": ["v1.0.1"]`) });
    expect(r.errors).toEqual([`${IMAGES}:4:5: error: key "${DIGEST_A}" is repeated (first at line 3); remove one of them`]);
  });

  it("keeps an unquoted 1.10 tag as the text 1.10", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    ${DIGEST_A}:`, "    - 1.10", "    - 2", `    ${DIGEST_B}: [1.0, 010]`) });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.imageSets[0]?.images[0]?.digests).toEqual([
      { digest: DIGEST_A, tags: ["1.10", "2"] },
      { digest: DIGEST_B, tags: ["1.0", "010"] },
    ]);
  });
});

describe("unknown keys", () => {
  it("in an infra.staging project entry", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-other:", "  bogus: 1") });
    expect(r.errors).toEqual([`infra.yaml:7:9: error: unknown key "bogus" in infra.staging.projects.k8s-staging-other; allowed keys are: ${ENTRY_KEYS}`]);
  });

  it("in infra.staging itself, while other infra sections are tolerated", () => {
    const text = ["infra:", "  prod:", "    anything: [goes, here]", "  staging:", "    owner: me", "    projects:", "      k8s-staging-demo:", ""].join("\n");
    const r = check({ "infra.yaml": text });
    expect(r.errors).toEqual(['infra.yaml:5:5: error: unknown key "owner" in infra.staging; allowed keys are: managed_by, projects']);
  });

  it("in an images.yaml entry", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  tags: [v1]", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`) });
    expect(r.errors).toEqual([`${IMAGES}:2:3: error: unknown key "tags" in [0]; allowed keys are: name, dmap`]);
  });

  it("at the top of a manifest", () => {
    const r = check({ [MANIFEST]: baseManifest + "images: []\n" });
    expect(r.errors).toEqual([`${MANIFEST}:48:1: error: unknown key "images"; allowed keys are: registries, imagesPath`]);
  });

  it("in a manifest registry", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 3, "  src: true\n  region: us") });
    expect(r.errors).toEqual([`${MANIFEST}:4:3: error: unknown key "region" in registries[0]; allowed keys are: name, src, service-account`]);
  });

  it("in a groups.yaml entry", () => {
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo")) + "    aliases: [demo@kubernetes.io]\n" });
    expect(r.errors).toEqual([
      `${GROUPS}:9:5: error: unknown key "aliases" in groups[0]; allowed keys are: email-id, name, description, settings, owners, managers, members`,
      // the file does not load, so the demo writers group has no entry
      DEMO_GROUP_MISSING,
    ]);
  });

  it("in an OWNERS file", () => {
    const r = check({ [OWNERS]: "approvers:\n  - alice\napprover:\n  - bob\n" });
    expect(r.errors).toEqual([
      `${OWNERS}:3:1: error: unknown key "approver"; allowed keys are: approvers, reviewers, required_reviewers, emeritus_approvers, emeritus_reviewers, labels, options, filters`,
    ]);
  });

  it("accepts every allowed key", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "  services: [compute.googleapis.com]",
        "  release: true",
        "  iam:",
        "    - role: roles/viewer",
        "      members: [group:auditors@kubernetes.io]",
        "  cleanup: {olderThanDays: 30, dryRun: true}",
      ),
      [MANIFEST]: baseManifest + "imagesPath: ../../images/k8s-staging-demo/images.yaml\n",
      [OWNERS]: [
        "approvers: [alice]",
        "reviewers: [bob]",
        "emeritus_approvers: [carol]",
        "labels: [sig/testing]",
        "options:",
        "  no_parent_owners: true",
        "filters:",
        '  ".*":',
        "    approvers: [dave]",
        "",
      ].join("\n"),
      [GROUPS]: groupsFile(stagingGroup("demo") + "    managers:\n      - bob@example.org\n"),
    });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.projects[0]).toMatchObject({
      id: "k8s-staging-demo",
      services: ["compute.googleapis.com"],
      release: true,
      iam: [{ role: "roles/viewer", members: ["group:auditors@kubernetes.io"] }],
      cleanup: { olderThanDays: 30, dryRun: true },
    });
  });
});

describe("wrong types", () => {
  it('release: "yes" is not a boolean', () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", '  release: "yes"') });
    expect(r.errors).toEqual(['infra.yaml:6:18: error: infra.staging.projects.k8s-staging-demo.release must be true or false, not "yes"']);
  });

  it('a quoted src: "true" is text, not a boolean', () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 3, '  src: "true"') });
    expect(r.errors).toEqual([`${MANIFEST}:3:8: error: registries[0].src must be true or false, not "true"`]);
  });

  it("release: true and src: true are accepted", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  release: true") });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.projects[0]?.release).toBe(true);
  });
});

describe("project ids", () => {
  const idError = (id: string) => check({ "infra.yaml": infra("k8s-staging-demo:", `${id}:`) }).errors;

  it.each([
    ["k8s-s", 'project id "k8s-s" must be 6 to 30 characters long (it has 5)'],
    ["k8s-staging-a-very-long-subproject", 'project id "k8s-staging-a-very-long-subproject" must be 6 to 30 characters long (it has 34)'],
    ["k8s-staging-Demo", 'project id "k8s-staging-Demo" may only hold lowercase letters, digits and hyphens'],
    ["K8s-staging-demo2", 'project id "K8s-staging-demo2" must start with a lowercase letter'],
    ["k8s-staging-demo-", 'project id "k8s-staging-demo-" must not end with a hyphen'],
    ["staging-demo", 'staging project id "staging-demo" must start with "k8s-staging-" followed by the subproject name'],
    ["k8s-staging-", 'project id "k8s-staging-" must not end with a hyphen'],
  ])("%s is rejected", (id, message) => {
    expect(idError(id)).toEqual([`infra.yaml:6:7: error: ${message}`]);
  });

  it("a well-formed id is accepted", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-a1-b2:"), [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("a1-b2")) });
    expect(r.errors).toEqual([]);
    expect(r.result.catalog?.projects.map((p) => [p.id, p.name])).toEqual([
      ["k8s-staging-a1-b2", "a1-b2"],
      ["k8s-staging-demo", "demo"],
    ]);
  });
});

describe("the staging list", () => {
  it("an empty projects list is an error, not an empty estate", () => {
    const message = "infra.staging.projects is empty; list at least one staging project (an empty list would delete the whole estate)";
    expect(check({ "infra.yaml": infra() }).errors).toEqual([`infra.yaml:4:5: error: ${message}`]);
    expect(check({ "infra.yaml": infra().replace("projects:", "projects: {}") }).errors).toEqual([`infra.yaml:4:5: error: ${message}`]);
  });

  it("a missing infra.yaml is an error", () => {
    const r = check({ "infra.yaml": null });
    expect(r.errors).toEqual(["infra.yaml:1:1: error: the catalog has no infra.yaml; it lists the staging projects under infra.staging.projects"]);
  });

  it("a managed_by override is a note and the project is skipped", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-other:", "  managed_by: infra/gcp/bash/other.sh") });
    expect(r.all).toEqual(["infra.yaml:6:7: note: k8s-staging-other is managed by infra/gcp/bash/other.sh; skipped"]);
    expect(r.result.catalog?.projects.map((p) => p.id)).toEqual(["k8s-staging-demo"]);
    expect(r.result.catalog?.skipped).toEqual([{ id: "k8s-staging-other", managedBy: "infra/gcp/bash/other.sh" }]);
  });

  it("managed_by equal to the section's own tool is not an override", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  managed_by: pulumi/k8s-infra-staging") });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.skipped).toEqual([]);
    expect(r.result.catalog?.projects.map((p) => p.id)).toEqual(["k8s-staging-demo"]);
  });
});

describe("shared projects and project extensions", () => {
  it("project-level writers on a shared project is an error at the writers key", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  writers: k8s-infra-staging-images@kubernetes.io", "  repositories:", "    kro:"),
    });
    expect(r.errors).toEqual([
      "infra.yaml:7:9: error: writers applies to a dedicated project; k8s-staging-images has repositories (a shared project): set them per repository",
    ]);
  });

  it("writers on a repository is accepted", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    cluster-inventory-api:", "      writers: k8s-infra-staging-demo@kubernetes.io"),
    });
    expect(r.all).toEqual([]);
    const shared = r.result.catalog?.projects.find((p) => p.id === "k8s-staging-images");
    expect(shared).toMatchObject({ kind: "shared", repositories: [{ name: "cluster-inventory-api", writers: "k8s-infra-staging-demo@kubernetes.io" }] });
  });

  it("a bad repository name is an error at its key", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    Kro_1:") });
    expect(r.errors).toEqual([
      'infra.yaml:8:11: error: repository name "Kro_1" must be 1 to 63 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (or one of gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io)',
    ]);
  });

  it("cleanup.olderThanDays must be a whole number", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  cleanup:", "    olderThanDays: soon") });
    expect(r.errors).toEqual(["infra.yaml:7:26: error: infra.staging.projects.k8s-staging-demo.cleanup.olderThanDays must be a whole number"]);
    const zero = check({ "infra.yaml": infra("k8s-staging-demo:", "  cleanup:", "    olderThanDays: 0") });
    expect(zero.errors).toEqual(["infra.yaml:7:26: error: cleanup.olderThanDays must be 1 to 3650 (it is 0)"]);
  });

  it("cleanup defaults to the repository retention, and a repository inherits its project's cleanup", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "k8s-staging-images:",
        "  cleanup: {olderThanDays: 45}",
        "  repositories:",
        "    demo:",
        "    cluster-api:",
        "      writers: k8s-infra-staging-demo@kubernetes.io",
        "      cleanup: {olderThanDays: 7, dryRun: true}",
      ),
    });
    expect(r.errors).toEqual([]);
    const projects = r.result.catalog?.projects ?? [];
    expect(projects.find((p) => p.id === "k8s-staging-demo")?.cleanup).toEqual({ olderThanDays: PROD_POLICY.repositoryRetentionDays, dryRun: false });
    expect(projects.find((p) => p.id === "k8s-staging-images")).toMatchObject({
      kind: "shared",
      repositories: [
        { name: "cluster-api", cleanup: { olderThanDays: 7, dryRun: true } },
        { name: "demo", writers: "k8s-infra-staging-demo@kubernetes.io", cleanup: { olderThanDays: 45, dryRun: false } },
      ],
    });
  });

  it("a bad services entry is an error at that entry", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", '  services: [compute.googleapis.com, "Compute API"]') });
    expect(r.errors).toEqual(['infra.yaml:6:44: error: service "Compute API" must be an API name such as "compute.googleapis.com"']);
  });

  it("a bad iam role and a bad iam member are errors at their lines", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "  iam:", "    - role: viewer", "      members:", "        - user:alice@example.org", "        - alice@example.org"),
    });
    expect(r.errors).toEqual([
      'infra.yaml:7:19: error: role "viewer" must be "roles/<name>" or a custom role "projects/<id>/roles/<name>"',
      'infra.yaml:10:17: error: IAM member "alice@example.org" must be user:, group: or serviceAccount: with an email, domain: with a domain, or a principal:// or principalSet:// identifier',
    ]);
  });

  it("custom roles and every member kind are accepted", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "  iam:",
        "    - role: projects/k8s-staging-demo/roles/pusher",
        "      members: [user:a@example.org, group:g@kubernetes.io, serviceAccount:b@p.iam.gserviceaccount.com, domain:kubernetes.io]",
        "    - role: roles/viewer",
        "      members: [principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/namespace/n]",
      ),
    });
    expect(r.all).toEqual([]);
  });

  it("allUsers and allAuthenticatedUsers are refused in a project's iam", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "  iam:",
        "    - role: roles/viewer",
        "      members: [user:a@example.org, allUsers, allAuthenticatedUsers]",
      ),
    });
    const publicOnly = "public access is only granted by the program, to read staging registries and buckets";
    expect(r.errors).toEqual([
      `infra.yaml:8:43: error: IAM member "allUsers" is not allowed here: ${publicOnly}`,
      `infra.yaml:8:53: error: IAM member "allAuthenticatedUsers" is not allowed here: ${publicOnly}`,
    ]);
  });
});

describe("images.yaml", () => {
  const oneDigest = (digest: string) => images("- name: demo", "  dmap:", `    "${digest}": ["v1.0.0"]`);

  it.each([
    [`sha256:${"a".repeat(63)}`, `digest "sha256:${"a".repeat(63)}" must have exactly 64 hex characters after "sha256:" (it has 63)`],
    [`sha256:${"A".repeat(64)}`, `digest "sha256:${"A".repeat(64)}" must hold only lowercase hex characters after "sha256:"`],
    ["a".repeat(64), `digest "${"a".repeat(64)}" must start with "sha256:"`],
  ])("digest %s is rejected at its key", (digest, message) => {
    expect(check({ [IMAGES]: oneDigest(digest) }).errors).toEqual([`${IMAGES}:3:5: error: ${message}`]);
  });

  const tagged = (...tags: string[]) => images("- name: demo", "  dmap:", `    "${DIGEST_A}": [${tags.map((t) => `"${t}"`).join(", ")}]`);

  it("a tag starting with - is rejected", () => {
    expect(check({ [IMAGES]: tagged("v1", "-rc1") }).errors).toEqual([`${IMAGES}:3:87: error: tag "-rc1" must start with a letter, digit or underscore`]);
  });

  it("a tag of 129 characters is rejected; 128 is accepted", () => {
    const long = "v" + "1".repeat(128);
    expect(check({ [IMAGES]: tagged(long) }).errors).toEqual([
      `${IMAGES}:3:81: error: tag "${long.slice(0, 20)}..." must be at most 128 characters (it has 129)`,
    ]);
    expect(check({ [IMAGES]: tagged(long.slice(0, 128)) }).all).toEqual([]);
  });

  it("a tag with a character outside [A-Za-z0-9_.-] is rejected", () => {
    expect(check({ [IMAGES]: tagged("v1+build") }).errors).toEqual([`${IMAGES}:3:81: error: tag "v1+build" may only hold letters, digits, "_", "." and "-"`]);
  });

  it("tags of every allowed shape are accepted, and an empty tag list means digest only", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["_x", "V1.2.3-rc.1_b", "9"]`, `    "${DIGEST_B}": []`) });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.imageSets[0]?.images[0]?.digests[1]).toEqual({ digest: DIGEST_B, tags: [] });
  });

  it("an image name with uppercase letters is rejected", () => {
    const r = check({ [IMAGES]: images("- name: charts/Demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`) });
    expect(r.errors).toEqual([`${IMAGES}:1:9: error: image name "charts/Demo" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`]);
  });

  it("one tag on two digests of one image is rejected", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, `    "${DIGEST_B}": ["v1.0.0"]`) });
    expect(r.errors).toEqual([`${IMAGES}:4:81: error: tag "v1.0.0" of image "demo" is already on ${DIGEST_A} (line 3); a tag names one digest`]);
  });

  it("the same tag on two different images is fine", () => {
    const r = check({ [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, "- name: demo-extra", "  dmap:", `    "${DIGEST_B}": ["v1.0.0"]`) });
    expect(r.all).toEqual([]);
  });

  it("an image listed twice with a conflicting tag across the two entries is rejected", () => {
    const r = check({
      [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, "- name: demo", "  dmap:", `    "${DIGEST_B}": ["v1.0.0"]`),
    });
    expect(r.errors).toEqual([`${IMAGES}:6:81: error: tag "v1.0.0" of image "demo" is already on ${DIGEST_A} (line 3); a tag names one digest`]);
  });

  it("an image listed twice without a conflict is fine", () => {
    const r = check({
      [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, "- name: demo", "  dmap:", `    "${DIGEST_B}": ["v1.1.0"]`, `    "${DIGEST_A}": ["v1.0.0"]`),
    });
    expect(r.all).toEqual([]);
  });

  it.each([
    ["an empty file", ""],
    ["a comment-only file", "# no images yet\n"],
  ])("%s is valid and means no images", (_label, text) => {
    const r = check({ [IMAGES]: text });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.imageSets).toEqual([{ dir: "k8s-staging-demo", images: [] }]);
  });
});

describe("promoter manifests", () => {
  const sourceLine = "- name: gcr.io/k8s-staging-demo";

  it("no registry with src: true is an error", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 3, null) });
    expect(r.errors).toEqual([`${MANIFEST}:1:1: error: a manifest needs exactly one registry with src: true (it has 0)`]);
  });

  it("two registries with src: true is an error at the second", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 5, "  src: true") });
    expect(r.errors).toEqual([`${MANIFEST}:5:8: error: a manifest needs exactly one registry with src: true (it has 2)`]);
  });

  it("a destination outside the production roots is an error at its name", () => {
    const r = check({ [MANIFEST]: manifest("gcr.io/k8s-staging-demo", [...productionDestinations("demo"), "us.gcr.io/k8s-artifacts-prod/demo"]) });
    expect(r.errors).toEqual([
      `${MANIFEST}:48:9: error: destination us.gcr.io/k8s-artifacts-prod/demo is not under a production registry root; use <root>/... with a root from the stack configuration (e.g. ${ROOTS[0]})`,
    ]);
  });

  it("a destination listed twice is an error at the second", () => {
    const dests = productionDestinations("demo");
    const r = check({ [MANIFEST]: manifest("gcr.io/k8s-staging-demo", [...dests, dests[3]!]) });
    expect(r.errors).toEqual([`${MANIFEST}:48:9: error: destination ${dests[3]} is listed twice (first at line 10); remove one`]);
  });

  it("missing production roots are listed in one error per destination path", () => {
    const dests = productionDestinations("demo");
    const r = check({ [MANIFEST]: manifest("gcr.io/k8s-staging-demo", [...dests.slice(0, 20), ...productionDestinations("demo/sub").slice(1)]) });
    expect(r.errors).toEqual([
      `${MANIFEST}:1:1: error: destination path demo lacks 2 production roots: add ${ROOTS[20]}/demo, ${ROOTS[21]}/demo`,
      `${MANIFEST}:1:1: error: destination path demo/sub lacks 1 production root: add ${ROOTS[0]}/demo/sub`,
    ]);
  });

  it("a service-account other than the promoter's is an error", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 7, "  service-account: someone@example.iam.gserviceaccount.com") });
    expect(r.errors).toEqual([`${MANIFEST}:7:20: error: service-account "someone@example.iam.gserviceaccount.com" must be the promoter account "${PROMOTER}"`]);
  });

  it("a destination without service-account is a warning", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 5, null) });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([`${MANIFEST}:4:9: warning: destination ${ROOTS[0]}/demo names no service-account; the promoter account ${PROMOTER} is expected`]);
    expect(r.result.catalog).toBeDefined();
  });

  it("a manifest nested one level too deep is an error", () => {
    const r = check({ "manifests/b/c/promoter-manifest.yaml": baseManifest });
    expect(r.errors).toEqual([
      "manifests/b/c/promoter-manifest.yaml:1:1: error: manifests/b/c/promoter-manifest.yaml is not at manifests/<dir>/promoter-manifest.yaml; move it up to exactly that depth",
    ]);
  });

  it("an OWNERS file under manifests/ is an error", () => {
    const r = check({ "manifests/k8s-staging-demo/OWNERS": "approvers: [mallory]\n" });
    expect(r.errors).toEqual([
      "manifests/k8s-staging-demo/OWNERS:1:1: error: manifests are not delegated: remove manifests/k8s-staging-demo/OWNERS (approvals for images live in images/<dir>/OWNERS)",
    ]);
  });

  it("a manifest without images/<dir>/images.yaml is an error", () => {
    const r = check({ [IMAGES]: null });
    expect(r.errors).toEqual([
      `${MANIFEST}:1:1: error: ${MANIFEST} has no images/k8s-staging-demo/images.yaml; add it (an empty file means no images yet)`,
    ]);
  });

  it("images without a manifest are a warning", () => {
    const r = check({ [MANIFEST]: null });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([`${IMAGES}:1:1: warning: no ${MANIFEST} promotes these images`]);
  });

  it("a source the catalog does not declare is a warning naming it", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 2, "- name: docker.io/coredns") });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([`${MANIFEST}:2:9: warning: source registry docker.io/coredns is not a staging registry this catalog declares`]);
  });

  it("a source from another project's gcr.io is a warning", () => {
    const r = check({ [MANIFEST]: withLine(baseManifest, 2, "- name: gcr.io/k8s-staging-demo2") });
    expect(r.warnings).toEqual([`${MANIFEST}:2:9: warning: source registry gcr.io/k8s-staging-demo2 is not a staging registry this catalog declares`]);
  });

  it.each([
    ["its gcr.io registry", sourceLine],
    ["a path below its gcr.io registry", "- name: gcr.io/k8s-staging-demo/sub"],
    ["its regional images repository", "- name: us-central1-docker.pkg.dev/k8s-staging-demo/images"],
  ])("a dedicated project's source through %s is declared", (_label, line) => {
    expect(check({ [MANIFEST]: withLine(baseManifest, 2, line) }).all).toEqual([]);
  });

  it("a shared repository source is declared", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    kro:"),
      [MANIFEST]: withLine(baseManifest, 2, "- name: us-central1-docker.pkg.dev/k8s-staging-images/kro"),
      [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("kro")),
    });
    expect(r.all).toEqual([]);
  });

  it("a shared project's repository not listed in infra.yaml is not declared", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    kro:"),
      [MANIFEST]: withLine(baseManifest, 2, "- name: us-central1-docker.pkg.dev/k8s-staging-images/kueue"),
      [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("kro")),
    });
    expect(r.warnings).toEqual([
      `${MANIFEST}:2:9: warning: source registry us-central1-docker.pkg.dev/k8s-staging-images/kueue is not a staging registry this catalog declares`,
    ]);
  });
});

describe("promotions across manifests", () => {
  const OTHER_IMAGES = "images/k8s-staging-other/images.yaml";
  const twoManifests = (otherDigest: string) => ({
    "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-other:"),
    [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("other")),
    [OTHER_IMAGES]: images("- name: demo", "  dmap:", `    "${otherDigest}": ["v1.0.0"]`),
    "manifests/k8s-staging-other/promoter-manifest.yaml": manifest("gcr.io/k8s-staging-other", productionDestinations("demo")),
  });

  it("two manifests promoting different digests to one image:tag is an error naming both files", () => {
    const r = check(twoManifests(DIGEST_B));
    expect(r.errors).toEqual([
      `${OTHER_IMAGES}:3:81: error: ${ROOTS[0]}/demo/demo:v1.0.0 is promoted as ${DIGEST_B} here but as ${DIGEST_A} by ${IMAGES}:3; one tag can name only one digest`,
    ]);
  });

  it("two manifests promoting the same digest to one image:tag is fine", () => {
    expect(check(twoManifests(DIGEST_A)).all).toEqual([]);
  });

  it("the same image:tag under different destination paths is fine", () => {
    const r = check({
      ...twoManifests(DIGEST_B),
      "manifests/k8s-staging-other/promoter-manifest.yaml": manifest("gcr.io/k8s-staging-other", productionDestinations("other")),
    });
    expect(r.all).toEqual([]);
  });
});

describe("groups.yaml staging groups", () => {
  /** A groups file holding one staging group `k8s-infra-staging-demo` written line by line (line 2 onwards). */
  const demoGroup = (...lines: string[]) => ["groups:", ...lines, ""].join("\n");
  const head = ["  - email-id: k8s-infra-staging-demo@kubernetes.io", "    name: k8s-infra-staging-demo"];
  const reconcile = ["    settings:", '      ReconcileMembers: "true"'];

  it("email-id must be the name at the domain", () => {
    const r = check({ [GROUPS]: demoGroup("  - email-id: k8s-infra-staging-demo@example.org", head[1]!, ...reconcile) });
    expect(r.errors).toEqual([
      `${GROUPS}:2:15: error: email-id "k8s-infra-staging-demo@example.org" must be "k8s-infra-staging-demo@kubernetes.io" (the name at the domain)`,
    ]);
  });

  it("the part after k8s-infra-staging- is at most 18 characters", () => {
    const name = "k8s-infra-staging-abcdefghijklmnopqrs";
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo")) + demoGroup(`  - email-id: ${name}@kubernetes.io`, `    name: ${name}`, ...reconcile).replace("groups:\n", "") });
    expect(r.errors).toEqual([`${GROUPS}:10:11: error: group name "${name}" must have 1 to 18 characters after "k8s-infra-staging-" (it has 19)`]);
    const ok = "k8s-infra-staging-abcdefghijklmnopqr";
    expect(check({ [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup(ok.slice(18))) }).all).toEqual([]);
  });

  it("a staging group must not have owners", () => {
    const r = check({ [GROUPS]: demoGroup(...head, ...reconcile, "    owners:", "      - alice@example.org") });
    expect(r.errors).toEqual([`${GROUPS}:7:7: error: staging group k8s-infra-staging-demo must not have owners; list them as managers`]);
  });

  it("ReconcileMembers must be set", () => {
    const missing = check({ [GROUPS]: demoGroup(...head, "    settings:", '      WhoCanPostMessage: "ANYONE_CAN_POST"') });
    expect(missing.errors).toEqual([`${GROUPS}:5:7: error: staging group k8s-infra-staging-demo must set settings.ReconcileMembers: "true"`]);
    const noSettings = check({ [GROUPS]: demoGroup(...head) });
    expect(noSettings.errors).toEqual([`${GROUPS}:3:11: error: staging group k8s-infra-staging-demo must set settings.ReconcileMembers: "true"`]);
  });

  it('ReconcileMembers: "false" is an error', () => {
    const r = check({ [GROUPS]: demoGroup(...head, "    settings:", '      ReconcileMembers: "false"') });
    expect(r.errors).toEqual([`${GROUPS}:5:7: error: staging group k8s-infra-staging-demo must set settings.ReconcileMembers: "true"`]);
  });

  it("an unquoted ReconcileMembers: true is a type error", () => {
    const r = check({ [GROUPS]: demoGroup(...head, "    settings:", "      ReconcileMembers: true") });
    expect(r.errors).toEqual([
      `${GROUPS}:5:25: error: groups[0].settings.ReconcileMembers must be text, not the boolean true`,
      // the file does not load, so the demo writers group has no entry
      DEMO_GROUP_MISSING,
    ]);
  });

  it("an email listed twice in a group is an error at the second", () => {
    const r = check({
      [GROUPS]: demoGroup(...head, ...reconcile, "    managers:", "      - bob@example.org", "    members:", "      - alice@example.org", "      - Bob@example.org"),
    });
    expect(r.errors).toEqual([
      `${GROUPS}:10:9: error: Bob@example.org appears twice in k8s-infra-staging-demo (also in managers); list each person once`,
      // capitals are an error of their own
      `${GROUPS}:10:9: error: members entry Bob@example.org must be written in lowercase (bob@example.org): addresses are compared in lowercase`,
    ]);
  });

  it("a member that is not an email address is an error", () => {
    const r = check({ [GROUPS]: demoGroup(...head, ...reconcile, "    members:", "      - alice") });
    expect(r.errors).toEqual([`${GROUPS}:7:9: error: members entry "alice" is not an email address`]);
  });

  it("a description longer than 300 characters is an error", () => {
    const r = check({ [GROUPS]: demoGroup(...head, `    description: ${"x".repeat(301)}`, ...reconcile) });
    expect(r.errors).toEqual([`${GROUPS}:4:18: error: description of k8s-infra-staging-demo must be at most 300 characters (it has 301)`]);
    expect(check({ [GROUPS]: demoGroup(...head, `    description: ${"x".repeat(300)}`, ...reconcile) }).all).toEqual([]);
  });

  it("groups not named k8s-infra-staging-* are ignored (owners there are fine)", () => {
    const r = check({
      [GROUPS]: groupsFile(stagingGroup("demo")) + "  - email-id: sig-demo-leads@kubernetes.io\n    name: sig-demo-leads\n    owners: [alice@example.org]\n",
    });
    expect(r.all).toEqual([]);
    expect(r.result.catalog?.groups.map((g) => g.name)).toEqual(["k8s-infra-staging-demo"]);
  });

  it("restrictions.yaml that does not allow a group in its file is an error", () => {
    const restrictions = (pattern: string) => `restrictions:\n  - path: "sig-demo/groups.yaml"\n    allowedGroups:\n      - "${pattern}"\n`;
    const r = check({ "groups/restrictions.yaml": restrictions("^sig-demo-leads@kubernetes.io$") });
    expect(r.errors).toEqual([
      `${GROUPS}:2:15: error: groups/restrictions.yaml does not allow k8s-infra-staging-demo@kubernetes.io in groups/sig-demo/groups.yaml; add it there or move the group`,
    ]);
    expect(check({ "groups/restrictions.yaml": restrictions("^k8s-infra-staging-demo@kubernetes.io$") }).all).toEqual([]);
  });

  it("a teams: key is a warning", () => {
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo")) + "teams:\n  - email-id: t@kubernetes.io\n    name: t\n" });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      `${GROUPS}:9:1: warning: key "teams" is not read by the groups reconciler: its 1 group is not managed; move it under "groups"`,
    ]);
  });

  it("one group declared in two files is an error", () => {
    const r = check({ "groups/sig-other/groups.yaml": groupsFile(stagingGroup("demo")) });
    expect(r.errors).toEqual([`groups/sig-other/groups.yaml:3:11: error: group k8s-infra-staging-demo is already declared in ${GROUPS}:2; declare it once`]);
  });
});

describe("writers groups", () => {
  it("a derived writers group name too long for a shared repository is an error at infra.yaml", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    cluster-inventory-api:") });
    expect(r.errors).toEqual([
      'infra.yaml:8:11: error: writers group k8s-infra-staging-cluster-inventory-api@kubernetes.io of k8s-staging-images/cluster-inventory-api has 21 characters after "k8s-infra-staging-" (at most 18); set writers: to a shorter group',
    ]);
  });

  it("a writers group with no groups.yaml entry is an error", () => {
    const r = check({ [GROUPS]: null });
    expect(r.errors).toEqual([DEMO_GROUP_MISSING]);
    expect(r.warnings).toEqual([]);
    expect(r.result.catalog).toBeUndefined();
  });

  it("a writers group outside k8s-infra-staging-* is only referenced, never checked", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  writers: sig-demo-leads@kubernetes.io"), [GROUPS]: null });
    expect(r.all).toEqual([]);
  });
});

describe("reporting", () => {
  it("reports every problem of a file at once", () => {
    const r = check({ [IMAGES]: images("- name: Demo", "  dmap:", `    "sha256:abc": ["-rc1"]`) });
    expect(r.errors).toEqual([
      `${IMAGES}:1:9: error: image name "Demo" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`,
      `${IMAGES}:3:5: error: digest "sha256:abc" must have exactly 64 hex characters after "sha256:" (it has 3)`,
      `${IMAGES}:3:20: error: tag "-rc1" must start with a letter, digit or underscore`,
    ]);
  });

  it("sorts problems by file, then line, across the whole catalog", () => {
    const r = check({
      "infra.yaml": infra("k8s-staging-demo:", "K8S-staging-x:"),
      [IMAGES]: images("- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, `    "sha256:abc": []`),
      [MANIFEST]: withLine(withLine(baseManifest, 45, "  service-account: x@example.org"), 5, "  service-account: y@example.org"),
      [GROUPS]: groupsFile(stagingGroup("demo", ["a@example.org", "a@example.org"])),
    });
    const rows = r.result.problems.map((p) => `${p.file}:${p.line}`);
    expect(rows).toEqual([
      `${GROUPS}:9`,
      `${IMAGES}:4`,
      "infra.yaml:6",
      `${MANIFEST}:5`,
      `${MANIFEST}:45`,
    ]);
  });
});

describe("stack configuration", () => {
  const valid: Record<string, unknown> = {
    organizationId: "758905017065",
    billingAccount: "018801-93540E-22A20E",
    domain: "kubernetes.io",
    stagingRegion: "us-central1",
    bucketLocation: "us",
    promoterServiceAccount: PROMOTER,
    productionRegistries: ROOTS,
    artifactAdminsGroup: "k8s-infra-artifact-admins@kubernetes.io",
    ciBuilderServiceAccount: "gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com",
    ciWorkloadPool: "k8s-infra-prow-build-trusted.svc.id.goog",
    accessLogBucket: "k8s-infra-artifacts-gcslogs",
    releaseViewersGroup: "k8s-infra-release-viewers@kubernetes.io",
    releaseAdminsGroup: "k8s-infra-release-admins@kubernetes.io",
    releaseEditorsGroup: "k8s-infra-release-editors@kubernetes.io",
    ciPoolProjectNumber: "180382678033",
  };

  it("applies the documented defaults", () => {
    const { config, issues } = parseStackConfig(valid);
    expect(issues).toEqual([]);
    expect(config).toMatchObject({ bucketRetentionDays: 60, repositoryRetentionDays: 90, sharedBuildBucketRetentionDays: 90,
      groupPropagationSeconds: 60,
      catalogRoot: "projects",
      catalogLayout: "projects",
    });
  });

  it("reads productionRegistries given as JSON text, as Pulumi passes structured values", () => {
    const { config } = parseStackConfig({ ...valid, productionRegistries: JSON.stringify(ROOTS) });
    expect(config?.productionRegistries).toEqual(ROOTS);
  });

  it("names a missing key", () => {
    const { domain: _domain, ...raw } = valid;
    expect(parseStackConfig(raw)).toEqual({ issues: [{ key: "domain", message: "is required" }] });
  });

  it("names a key with a bad value", () => {
    expect(parseStackConfig({ ...valid, billingAccount: "0188-93540E" })).toEqual({
      issues: [{ key: "billingAccount", message: "must look like 018801-93540E-22A20E" }],
    });
  });

  it("reports an unknown key", () => {
    expect(parseStackConfig({ ...valid, colour: "blue" })).toEqual({ issues: [{ key: "colour", message: "is not a configuration key of this program" }] });
  });

  it("reports a production root listed twice", () => {
    expect(parseStackConfig({ ...valid, productionRegistries: [...ROOTS, ROOTS[0]] }).issues).toEqual([
      { key: "productionRegistries", message: `lists ${ROOTS[0]} twice` },
    ]);
  });

  it("the production stack file gives the production policy", () => {
    expect(PROD_POLICY).toEqual({
      organizationId: "758905017065",
      exampleEstate: false,
      domain: "kubernetes.io",
      stagingRegion: "us-central1",
      promoterServiceAccount: "k8s-infra-gcr-promoter@k8s-artifacts-prod.iam.gserviceaccount.com",
      productionRegistries: expect.arrayContaining(["us-central1-docker.pkg.dev/k8s-artifacts-prod/images", "europe-west10-docker.pkg.dev/k8s-artifacts-prod/images"]),
      repositoryRetentionDays: 90,
    });
    expect(ROOTS).toHaveLength(22);
  });
});
