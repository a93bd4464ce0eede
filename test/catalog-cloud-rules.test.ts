import { describe, expect, it } from "vitest";
import type { DedicatedProject, SharedProject } from "../src/catalog/model";
import { PROD_POLICY, check, groupsFile, infra, stagingGroup } from "./helpers";

/** Values the real cloud (or the Google provider) refuses are errors at their line, before anything is declared. */

const GROUPS = "groups/sig-demo/groups.yaml";

function project(r: ReturnType<typeof check>, id: string) {
  return r.result.catalog?.projects.find((p) => p.id === id);
}

describe("project ids Google Cloud refuses", () => {
  for (const word of ["google", "null", "undefined", "ssl"]) {
    it(`an id containing "${word}" is an error at its key`, () => {
      const id = `k8s-staging-my${word}x`;
      const r = check({ "infra.yaml": infra("k8s-staging-demo:", `${id}:`) });
      expect(r.errors).toContain(`infra.yaml:6:7: error: project id "${id}" must not contain "${word}" (Google Cloud refuses such ids); choose another name`);
      expect(r.result.catalog).toBeUndefined();
    });
  }
});

describe("a project's iam members", () => {
  const grant = (member: string, role = "roles/viewer") => check({ "infra.yaml": infra("k8s-staging-demo:", "  iam:", `    - role: ${role}`, `      members: ["${member}"]`) });
  const shape = (member: string, why = "") =>
    `infra.yaml:8:23: error: IAM member "${member}" must be user:, group: or serviceAccount: with an email, domain: with a domain, or a principal:// or principalSet:// identifier${why}`;

  it("allUsers and allAuthenticatedUsers are refused in a project's iam", () => {
    for (const m of ["allUsers", "allAuthenticatedUsers"]) {
      expect(grant(m).errors).toEqual([
        `infra.yaml:8:23: error: IAM member "${m}" is not allowed here: public access is only granted by the program, to read staging registries and buckets`,
      ]);
    }
  });

  it("a member kind without a valid email, or an unknown kind, is an error naming the value", () => {
    expect(grant("user:alice").errors).toEqual([shape("user:alice", ' ("alice" is not an email address)')]);
    expect(grant("serviceAccount:").errors).toEqual([shape("serviceAccount:", ' ("" is not an email address)')]);
    expect(grant("domain:not a domain").errors).toEqual([shape("domain:not a domain", ' ("not a domain" is not a domain)')]);
    expect(grant("robot:x@example.org").errors).toEqual([shape("robot:x@example.org")]);
    expect(grant("alice@example.org").errors).toEqual([shape("alice@example.org")]);
    expect(grant("principalSet://").errors).toEqual([shape("principalSet://")]);
  });

  it("an address with capitals is an error (IAM compares addresses in lowercase)", () => {
    expect(grant("group:Demo-Leads@kubernetes.io").errors).toEqual([
      'infra.yaml:8:23: error: IAM member "group:Demo-Leads@kubernetes.io" must be written in lowercase (IAM compares addresses in lowercase)',
    ]);
  });

  it("accepts every member kind the API accepts", () => {
    const members = [
      "user:a@example.org",
      "group:demo-leads@kubernetes.io",
      "serviceAccount:b@p.iam.gserviceaccount.com",
      "domain:kubernetes.io",
      "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/subject/ns/sa",
      "principalSet://cloudresourcemanager.googleapis.com/projects/787629567722/type/ServiceAccount",
    ];
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  iam:", "    - role: roles/viewer", `      members: [${members.map((m) => `"${m}"`).join(", ")}]`) });
    expect(r.all).toEqual([]);
    expect(project(r, "k8s-staging-demo")?.iam).toEqual([{ role: "roles/viewer", members: [...members].sort() }]);
  });

  it("roles/owner to a user: is an error (an owner must accept an invitation); to a group it is accepted", () => {
    expect(grant("user:a@example.org", "roles/owner").errors).toEqual([
      "infra.yaml:7:19: error: roles/owner cannot be granted to user:a@example.org: Google Cloud requires an invitation the person accepts; grant it to a group instead",
    ]);
    expect(grant("group:k8s-infra-release-admins@kubernetes.io", "roles/owner").all).toEqual([]);
  });

  it("a custom role of another project or organization is an error; the project's own and the estate organization's are accepted", () => {
    expect(grant("group:g@kubernetes.io", "projects/k8s-staging-other/roles/pusher").errors).toEqual([
      'infra.yaml:7:19: error: role "projects/k8s-staging-other/roles/pusher" is a custom role of another project; a project can only grant its own custom roles (projects/k8s-staging-demo/roles/...)',
    ]);
    expect(grant("group:g@kubernetes.io", "organizations/1234/roles/pusher").errors).toEqual([
      `infra.yaml:7:19: error: role "organizations/1234/roles/pusher" is a custom role of another organization; only organizations/${PROD_POLICY.organizationId}/roles/... can be granted here`,
    ]);
    expect(grant("group:g@kubernetes.io", "projects/k8s-staging-demo/roles/pusher").all).toEqual([]);
    expect(grant("group:g@kubernetes.io", `organizations/${PROD_POLICY.organizationId}/roles/pusher`).all).toEqual([]);
  });
});

describe("services", () => {
  const services = (list: string) => check({ "infra.yaml": infra("k8s-staging-demo:", `  services: ${list}`) });

  it("must be <name>.googleapis.com", () => {
    expect(services("[compute.googleapis.com, storage.example.com]").errors).toEqual([
      'infra.yaml:6:44: error: service "storage.example.com" must be an API name such as "compute.googleapis.com"',
    ]);
  });

  it("names the Google provider refuses are errors that say what to use", () => {
    expect(services("[bigquery-json.googleapis.com]").errors).toEqual([
      'infra.yaml:6:20: error: service "bigquery-json.googleapis.com" is refused by the Google provider (renamed); use "bigquery.googleapis.com"',
    ]);
    expect(services("[source.googleapis.com]").errors).toEqual([
      'infra.yaml:6:20: error: service "source.googleapis.com" is only enabled as a side effect of another service; the Google provider does not manage it',
    ]);
  });
});

describe("cleanup.olderThanDays", () => {
  const days = (n: string) => check({ "infra.yaml": infra("k8s-staging-demo:", "  cleanup:", `    olderThanDays: ${n}`) });
  it("must be 1 to 3650", () => {
    expect(days("0").errors).toEqual(["infra.yaml:7:26: error: cleanup.olderThanDays must be 1 to 3650 (it is 0)"]);
    expect(days("3651").errors).toEqual(["infra.yaml:7:26: error: cleanup.olderThanDays must be 1 to 3650 (it is 3651)"]);
    expect(days("3650").all).toEqual([]);
    expect(days("1").all).toEqual([]);
  });

  it("dryRun alone keeps the default age", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  cleanup:", "    dryRun: true") });
    expect(r.all).toEqual([]);
    expect(project(r, "k8s-staging-demo")?.cleanup).toEqual({ olderThanDays: PROD_POLICY.repositoryRetentionDays, dryRun: true });
  });
});

describe("writers", () => {
  it("a writers value outside the stack's domain is an error", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  writers: demo-writers@example.org") });
    expect(r.errors).toEqual([
      "infra.yaml:6:18: error: writers demo-writers@example.org must be a group of the stack's domain kubernetes.io; a service account that pushes goes in writerAccounts",
    ]);
  });

  it("a writers value that is not an address is an error", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  writers: demo-writers") });
    expect(r.errors).toEqual(['infra.yaml:6:18: error: writers "demo-writers" is not an email address']);
  });

  it("a writers group of the convention with no groups.yaml entry is an error, not a group declared empty", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-lonely:") });
    expect(r.errors).toEqual([
      "infra.yaml:6:7: error: writers group k8s-infra-staging-lonely@kubernetes.io of k8s-staging-lonely has no entry in groups/**/groups.yaml; add it there (the groups reconciler deletes every group groups.yaml does not list)",
    ]);
    expect(r.result.catalog).toBeUndefined();
  });

  it("a writers group of another kind (a leads group) is only referenced: no groups.yaml entry needed", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-other:", "  writers: sig-other-leads@kubernetes.io") });
    expect(r.errors).toEqual([]);
  });
});

describe("groups.yaml members", () => {
  it("an address with capitals is an error at its line", () => {
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo", ["alice@example.org", "Bob.Smith@example.org"])) });
    expect(r.errors).toEqual([
      `${GROUPS}:9:9: error: members entry Bob.Smith@example.org must be written in lowercase (bob.smith@example.org): addresses are compared in lowercase`,
    ]);
  });

  it("a real stack refuses @example.com people, in any group of any file", () => {
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo", ["alice@example.com"])) + "  - email-id: sig-demo-leads@kubernetes.io\n    name: sig-demo-leads\n    owners: [carol@EXAMPLE.com]\n" });
    expect(r.errors).toEqual([
      `${GROUPS}:8:9: error: alice@example.com is a person of the bundled example estate; a real stack refuses @example.com members (is catalogRoot pointing at the example catalog?)`,
      `${GROUPS}:11:14: error: carol@EXAMPLE.com is a person of the bundled example estate; a real stack refuses @example.com members (is catalogRoot pointing at the example catalog?)`,
    ]);
  });

  it("the example estate accepts them", () => {
    const r = check({ [GROUPS]: groupsFile(stagingGroup("demo", ["alice@example.com"])) }, { ...PROD_POLICY, exampleEstate: true });
    expect(r.errors).toEqual([]);
  });
});

describe("extension keys for upstream's special cases", () => {
  it("a dedicated project: folderId, gcrIam, builderAccounts and an extra private bucket", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        '  folderId: "713040427754"',
        "  gcrIam:",
        "    - role: roles/artifactregistry.writer",
        "      members: [serviceAccount:prow-build@k8s-infra-prow-build.iam.gserviceaccount.com]",
        "  builderAccounts:",
        "    gcb-builder-demo:",
        "      workloadIdentityPool: k8s-infra-prow-build.svc.id.goog",
        "      iam:",
        "        - role: roles/iam.serviceAccountUser",
        "          members: [serviceAccount:gcb-builder-demo@k8s-staging-demo.iam.gserviceaccount.com]",
        "  buckets:",
        "    k8s-demo-sandbox:",
        "      private: true",
        "      keepObjects: true",
        "      iam:",
        "        - role: roles/storage.objectAdmin",
        "          members: [group:k8s-infra-release-editors@kubernetes.io]",
        "    k8s-staging-demo-gcb:",
        "      retentionDays: 30",
      ),
    });
    expect(r.all).toEqual([]);
    const p = project(r, "k8s-staging-demo") as DedicatedProject;
    expect(p.folderId).toBe("713040427754");
    expect(p.gcrIam).toEqual([{ role: "roles/artifactregistry.writer", members: ["serviceAccount:prow-build@k8s-infra-prow-build.iam.gserviceaccount.com"] }]);
    expect(p.builderAccounts).toEqual([
      {
        accountId: "gcb-builder-demo",
        workloadIdentityPool: "k8s-infra-prow-build.svc.id.goog",
        iam: [{ role: "roles/iam.serviceAccountUser", members: ["serviceAccount:gcb-builder-demo@k8s-staging-demo.iam.gserviceaccount.com"] }],
      },
    ]);
    expect(p.buckets).toEqual([
      { name: "k8s-demo-sandbox", private: true, keepObjects: true, versioning: false, iam: [{ role: "roles/storage.objectAdmin", members: ["group:k8s-infra-release-editors@kubernetes.io"] }] },
      { name: "k8s-staging-demo-gcb", private: false, keepObjects: false, versioning: false, iam: [], retentionDays: 30 },
    ]);
  });

  it("bad values of the extension keys are errors at their lines", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "  folderId: folders/12",
        "  buildBucket: false",
        "  builderAccounts:",
        "    gcb:",
        "      workloadIdentityPool: prow",
        "  buckets:",
        "    k8s-staging-demo:",
        "      private: true",
        "    Bad_Bucket: {keepObjects: true}",
      ),
    });
    expect(r.errors).toEqual([
      'infra.yaml:6:19: error: folderId "folders/12" must be a numeric folder id',
      "infra.yaml:7:9: error: buildBucket applies to a shared project; a dedicated project always has k8s-staging-demo-gcb",
      'infra.yaml:9:11: error: service account id "gcb" must be 6 to 30 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen',
      'infra.yaml:10:35: error: workloadIdentityPool "prow" must be a pool such as k8s-infra-prow-build.svc.id.goog',
      "infra.yaml:13:13: error: k8s-staging-demo is a default staging bucket: its public read is part of the staging design; only iam and retentionDays may be set",
      'infra.yaml:14:11: error: bucket name "Bad_Bucket" must be 3 to 63 lowercase letters, digits, "-" and "_", start and end with a letter or digit, and not contain "google"',
    ]);
  });

  it("a shared project: a gcr.io repository in us pushed by a Cloud Build account, no build account, no -gcb bucket", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "k8s-staging-kubernetes:",
        '  folderId: "713040427754"',
        "  buildBucket: false",
        "  repositories:",
        "    gcr.io:",
        "      location: us",
        "      writerAccounts: [304687256732@cloudbuild.gserviceaccount.com]",
        "      buildAccount: false",
      ),
    });
    expect(r.all).toEqual([]);
    const p = project(r, "k8s-staging-kubernetes") as SharedProject;
    expect(p).toMatchObject({ kind: "shared", folderId: "713040427754", buildBucket: false });
    expect(p.repositories).toEqual([
      {
        name: "gcr.io",
        location: "us",
        writerAccounts: ["304687256732@cloudbuild.gserviceaccount.com"],
        buildAccount: false,
        cleanup: { olderThanDays: PROD_POLICY.repositoryRetentionDays, dryRun: false },
      },
    ]);
  });

  it("a gcr.io repository must be in us, cannot have a build account, and takes writers or writerAccounts, not both", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "k8s-staging-kubernetes:",
        "  repositories:",
        "    gcr.io:",
        "      location: us-central1",
        "      writers: k8s-infra-staging-demo@kubernetes.io",
        "      writerAccounts: [someone@example.org]",
      ),
    });
    expect(r.errors).toEqual([
      'infra.yaml:8:11: error: repository "gcr.io" cannot name a build account "gcr.io-sa"; set buildAccount: false',
      "infra.yaml:9:23: error: repository gcr.io serves a gcr.io host and must be in location us",
      "infra.yaml:11:13: error: set either writers (a group) or writerAccounts (service accounts) for gcr.io, not both",
      "infra.yaml:11:30: error: writerAccounts entry someone@example.org must be a service account (…gserviceaccount.com); people push through a writers group",
    ]);
  });

  it("keys of the other project kind are errors that say why", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "k8s-staging-images:",
        "  writers: k8s-infra-staging-demo@kubernetes.io",
        "  gcrIam: []",
        "  repositories:",
        "    demo:",
      ),
    });
    expect(r.errors).toEqual([
      "infra.yaml:7:9: error: writers applies to a dedicated project; k8s-staging-images has repositories (a shared project): set them per repository",
      "infra.yaml:8:9: error: gcrIam applies to a dedicated project; k8s-staging-images has repositories (a shared project): set them per repository",
    ]);
  });
});

describe("names the estate would declare twice are errors at their line, never a crash in plan", () => {
  it("an extra bucket named like another project's bucket, or declared by two entries", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "k8s-staging-other:",
        "  buckets:",
        "    k8s-staging-demo:",
        "      retentionDays: 5",
        "    k8s-shared-sandbox: {retentionDays: 7}",
        "k8s-staging-third:",
        "  buckets:",
        "    k8s-shared-sandbox: {retentionDays: 7}",
      ),
      [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("other"), stagingGroup("third")),
    });
    expect(r.errors).toEqual([
      "infra.yaml:8:11: error: bucket k8s-staging-demo is already declared by k8s-staging-demo (bucket names are global); configure it in that entry or choose another name",
      "infra.yaml:13:11: error: bucket k8s-shared-sandbox is already declared by k8s-staging-other (bucket names are global); configure it in that entry or choose another name",
    ]);
  });

  it("a builder account named like the project's image builder", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  builderAccounts:", "    gcb-image-builder:", "      workloadIdentityPool: k8s-infra-prow-build.svc.id.goog") });
    expect(r.errors).toEqual([
      "infra.yaml:7:11: error: gcb-image-builder is the project's own image builder; name the CI account otherwise (upstream: gcb-builder-<name>)",
    ]);
  });
});

describe("more that the review of the real estate found", () => {
  it("every user: given roles/owner is named", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  iam:", "    - role: roles/owner", '      members: ["user:a@example.org", "user:b@example.org"]') });
    expect(r.errors).toEqual([
      "infra.yaml:7:19: error: roles/owner cannot be granted to user:a@example.org, user:b@example.org: Google Cloud requires an invitation the person accepts; grant it to a group instead",
    ]);
  });

  it("a real stack refuses @example.com people in infra.yaml grants too", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  iam:", "    - role: roles/viewer", '      members: ["user:bob@example.com"]') });
    expect(r.errors).toEqual([
      "infra.yaml:8:23: error: user:bob@example.com is a person of the bundled example estate; a real stack refuses @example.com members (is catalogRoot pointing at the example catalog?)",
    ]);
  });

  it("an extra bucket says how long its objects live (retentionDays) or that it keeps them (keepObjects: true); never both, never on a default bucket", () => {
    const r = check({
      "infra.yaml": infra(
        "k8s-staging-demo:",
        "  buckets:",
        "    k8s-demo-silent:",
        "      private: true",
        "    k8s-demo-both: {retentionDays: 7, keepObjects: true}",
        "    k8s-staging-demo-gcb: {keepObjects: true}",
        "    k8s-demo-kept: {keepObjects: true}",
        "    k8s-demo-expiring: {retentionDays: 7}",
      ),
    });
    expect(r.errors).toEqual([
      "infra.yaml:7:11: error: extra bucket k8s-demo-silent must say how long its objects live: retentionDays: N (1 to 3650), or keepObjects: true to keep them with no lifecycle rule",
      "infra.yaml:9:45: error: set either retentionDays or keepObjects: true for k8s-demo-both, not both",
      "infra.yaml:10:34: error: k8s-staging-demo-gcb is a default staging bucket: its objects are deleted after retentionDays (the stack's bucket retention by default); keepObjects applies to extra buckets",
    ]);
  });

  it("a bucket may keep object versions (versioning), as upstream's simple_bucket module does by default", () => {
    const r = check({ "infra.yaml": infra("k8s-staging-demo:", "  buckets:", "    k8s-staging-demo-gcb:", "      versioning: true") });
    expect(r.all).toEqual([]);
    expect((project(r, "k8s-staging-demo") as DedicatedProject).buckets).toEqual([{ name: "k8s-staging-demo-gcb", private: false, keepObjects: false, versioning: true, iam: [] }]);
  });
});
