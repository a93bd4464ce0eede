import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { copySample, INFRA_FILE, K8SIO, MISSING_GROUPS, repairGroups, RESTRICTED, SAMPLE } from "./fixtures/k8sio/sample";
import { PROD_POLICY, outcomeOf, type Outcome } from "./helpers";

/** A real upstream catalog (kubernetes/k8s.io), read in place in its own layout; its files were taken at different commits (its README.md). */
const REGISTRY = path.join(SAMPLE, "registry.k8s.io");
const INFRA = path.join(SAMPLE, INFRA_FILE);
const ROOTS = PROD_POLICY.productionRegistries;
const M = K8SIO.manifests;
const I = K8SIO.images;

const read = (file: string) => fs.readFileSync(file, "utf8");

/** `LINE:COL` of `needle` on the first line of `text` holding `context` (by default the needle itself). */
function posOf(text: string, needle: string, context = needle): string {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => l.includes(context));
  if (i < 0) throw new Error(`"${context}" not found`);
  return `${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
}

const ALL_DIRS = fs.readdirSync(path.join(REGISTRY, "manifests")).sort();
/** Manifests whose images.yaml is in the sample, and those without (genuine errors: a manifest needs its images.yaml). */
const DIRS = ALL_DIRS.filter((d) => fs.existsSync(path.join(REGISTRY, "images", d, "images.yaml")));
const WITHOUT_IMAGES = ALL_DIRS.filter((d) => !DIRS.includes(d));

interface ManifestText {
  dir: string;
  file: string;
  text: string;
}
const MANIFESTS: ManifestText[] = ALL_DIRS.map((dir) => {
  const file = `${M}/${dir}/promoter-manifest.yaml`;
  return { dir, file, text: read(path.join(SAMPLE, file)) };
});
/** Manifests still listing the retired gcr.io destinations, and manifests of 20 regions instead of 22. */
const WITH_GCR = MANIFESTS.filter((m) => m.text.includes("us.gcr.io/"));
const WITHOUT_EUROPE_WEST10 = MANIFESTS.filter((m) => !m.text.includes("europe-west10-"));

function gcrRows(m: ManifestText): string[] {
  return m.text
    .split(/\r?\n/)
    .flatMap((line, i) => {
      const hit = /name:\s*"?((?:us|eu|asia)\.gcr\.io\/[^"\s]+)/.exec(line);
      if (!hit) return [];
      const col = line.indexOf(hit[1]!) + 1;
      return [
        `${m.file}:${i + 1}:${col}: error: destination ${hit[1]} is not under a production registry root; use <root>/... with a root from the stack configuration (e.g. ${ROOTS[0]})`,
      ];
    });
}

function lacksTwoRows(m: ManifestText): string[] {
  const paths = new Set<string>();
  for (const hit of m.text.matchAll(/name:\s*"?[a-z0-9-]+-docker\.pkg\.dev\/k8s-artifacts-prod\/images\/([^"\s]+)/g)) paths.add(hit[1]!);
  const at = posOf(m.text, "registries:");
  return [...paths].map(
    (p) =>
      `${m.file}:${at}: error: destination path ${p} lacks 2 production roots: add europe-west3-docker.pkg.dev/k8s-artifacts-prod/images/${p}, europe-west10-docker.pkg.dev/k8s-artifacts-prod/images/${p}`,
  );
}

const BOSKOS = `${M}/k8s-staging-boskos/promoter-manifest.yaml`;
const BOSKOS_ROWS = [
  `${BOSKOS}:2:1: error: destination path boskos lacks 1 production root: add us-west2-docker.pkg.dev/k8s-artifacts-prod/images/boskos`,
  `${BOSKOS}:47:9: error: destination us-west1-docker.pkg.dev/k8s-artifacts-prod/images/boskos is listed twice (first at line 45); remove one`,
];

const INGRESS = `${I}/k8s-staging-ingress-nginx/images.yaml`;
const INGRESS_LINE_562 = read(path.join(SAMPLE, INGRESS)).split(/\r?\n/)[561] ?? "";
const SHORT_DIGEST = /sha256:[0-9a-f]+/.exec(INGRESS_LINE_562)?.[0] ?? "";

// RESTRICTED (fixtures/k8sio/sample.ts): genuine inconsistencies of the sample, whose restrictions.yaml is older than these groups files (provenance.tsv).
const restrictionRow = ([file, email]: [string, string]) =>
  `${file}:${posOf(read(path.join(SAMPLE, file)), email, `email-id: ${email}`)}: error: groups/restrictions.yaml does not allow ${email} in ${file}; add it there or move the group`;

const noImagesRow = (dir: string) => {
  const file = `${M}/${dir}/promoter-manifest.yaml`;
  return `${file}:1:1: error: ${file} has no ${I}/${dir}/images.yaml; add it (an empty file means no images yet)`;
};
const missingGroupRow = (name: string) =>
  `${INFRA_FILE}:${posOf(read(INFRA), `k8s-staging-${name}:`)}: error: writers group k8s-infra-staging-${name}@kubernetes.io of k8s-staging-${name} has no entry in groups/**/groups.yaml; add it there (the groups reconciler deletes every group groups.yaml does not list)`;

describe("the k8s.io sample catalog under the production policy", () => {
  let r: Outcome;
  beforeAll(() => {
    r = outcomeOf(loadCatalog(SAMPLE, PROD_POLICY, K8SIO));
  });

  it("the expected manifest lists come from the files, and hold the ones known by name", () => {
    expect(DIRS).not.toContain("k8s-staging-kubernetes");
    expect(WITHOUT_IMAGES).toEqual(expect.arrayContaining(["k8s-staging-dns", "k8s-staging-build-image"]));
    expect(WITH_GCR.map((m) => m.dir)).toEqual(expect.arrayContaining(["k8s-staging-releng", "k8s-staging-kustomize"]));
    expect(WITHOUT_EUROPE_WEST10.map((m) => m.dir)).toEqual(expect.arrayContaining(["k8s-staging-releng", "k8s-staging-kustomize"]));
    expect([...WITH_GCR, ...WITHOUT_EUROPE_WEST10].map((m) => m.dir)).not.toContain("k8s-staging-boskos");
    expect(SHORT_DIGEST.length).toBe("sha256:".length + 63);
  });

  it("has exactly the expected errors, and no other", () => {
    const expected = [
      ...WITH_GCR.flatMap(gcrRows),
      ...WITHOUT_EUROPE_WEST10.flatMap(lacksTwoRows),
      ...BOSKOS_ROWS,
      `${INGRESS}:562:5: error: digest "${SHORT_DIGEST}" must have exactly 64 hex characters after "sha256:" (it has 63)`,
      ...RESTRICTED.map(restrictionRow),
      ...WITHOUT_IMAGES.map(noImagesRow),
      ...MISSING_GROUPS.map(missingGroupRow),
    ];
    expect([...r.errors].sort()).toEqual(expected.sort());
    expect(r.result.catalog).toBeUndefined();
  });

  it("errors sit in exactly the expected files", () => {
    const files = new Set(r.result.problems.filter((p) => p.severity === "error").map((p) => p.file));
    const expected = new Set([
      ...WITH_GCR.map((m) => m.file),
      ...WITHOUT_EUROPE_WEST10.map((m) => m.file),
      BOSKOS,
      INGRESS,
      ...RESTRICTED.map(([file]) => file),
      ...WITHOUT_IMAGES.map((d) => `${M}/${d}/promoter-manifest.yaml`),
      INFRA_FILE,
    ]);
    expect([...files].sort()).toEqual([...expected].sort());
  });

  it("reports releng and kustomize for their gcr.io destinations and missing regions", () => {
    for (const name of ["releng", "kustomize"]) {
      const file = `${M}/k8s-staging-${name}/promoter-manifest.yaml`;
      for (const host of ["us.gcr.io", "eu.gcr.io", "asia.gcr.io"]) {
        expect(r.errors).toContainEqual(expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+: error: destination ${host}/k8s-artifacts-prod/${name} is not under a production registry root`)));
      }
      expect(r.errors).toContainEqual(expect.stringMatching(new RegExp(`^${file}:\\d+:1: error: destination path ${name} lacks 2 production roots: add europe-west3-`)));
    }
    expect(r.errors.filter((e) => e.startsWith(BOSKOS))).toEqual(BOSKOS_ROWS);
  });

  it("warns about sources the catalog does not declare, naming them", () => {
    const kro = MANIFESTS.find((m) => m.dir === "k8s-staging-kro")!;
    const coredns = MANIFESTS.find((m) => m.dir === "k8s-staging-coredns")!;
    const kroSource = "us-central1-docker.pkg.dev/k8s-staging-images/kro";
    expect(r.warnings).toContain(`${kro.file}:${posOf(kro.text, kroSource, `name: ${kroSource}`)}: warning: source registry ${kroSource} is not a staging registry this catalog declares`);
    expect(r.warnings).toContain(
      `${coredns.file}:${posOf(coredns.text, "coredns/coredns", "name: coredns/coredns")}: warning: source registry coredns/coredns is not a staging registry this catalog declares`,
    );
  });

  it("reports k8s-staging-gcb-untrusted as skipped, in a note", () => {
    const id = "k8s-staging-gcb-untrusted";
    expect(r.notes).toEqual([`${INFRA_FILE}:${posOf(read(INFRA), `${id}:`)}: note: ${id} is managed by infra/gcp/bash/ensure-staging-gcb-untrusted.sh; skipped`]);
  });

  it("reads the CRLF file registry.k8s.io/images/k8s-staging-npd/images.yaml without any problem", () => {
    expect(read(path.join(REGISTRY, "images/k8s-staging-npd/images.yaml"))).toContain("\r\n");
    expect(r.result.problems.filter((p) => p.file === `${I}/k8s-staging-npd/images.yaml`)).toEqual([]);
  });
});

describe("the k8s.io sample's staging list (a copy with the missing writers groups added and only the npd promotion)", () => {
  let r: Outcome;
  beforeAll(() => {
    const root = copySample();
    repairGroups(root);
    for (const folder of [M, I]) {
      for (const d of fs.readdirSync(path.join(root, folder))) if (d !== "k8s-staging-npd") fs.rmSync(path.join(root, folder, d), { recursive: true });
    }
    r = outcomeOf(loadCatalog(root, PROD_POLICY, K8SIO));
  });

  /** Keys under infra.staging.projects, and those with their own managed_by (managed elsewhere). */
  function stagingKeys(): { keys: string[]; managedElsewhere: number } {
    const lines = read(INFRA).split(/\r?\n/);
    const start = lines.indexOf("  staging:");
    const projects = lines.indexOf("    projects:", start);
    const keys: string[] = [];
    let managedElsewhere = 0;
    for (const line of lines.slice(projects + 1)) {
      if (/^ {0,5}\S/.test(line)) break;
      const key = /^ {6}(k8s-staging-[a-z0-9-]+):\s*$/.exec(line);
      if (key) keys.push(key[1]!);
      if (/^ {8}managed_by:/.test(line)) managedElsewhere++;
    }
    return { keys, managedElsewhere };
  }

  it("has one project per k8s-staging- key, minus the one managed elsewhere", () => {
    const { keys, managedElsewhere } = stagingKeys();
    expect(keys.length).toBeGreaterThan(80);
    expect(managedElsewhere).toBe(1);
    expect(r.errors).toEqual([]);
    expect(r.result.catalog?.projects).toHaveLength(keys.length - managedElsewhere);
    expect(r.result.catalog?.skipped.map((s) => s.id)).toEqual(["k8s-staging-gcb-untrusted"]);
  });

  it("reads the CRLF images.yaml into clean digests and tags", () => {
    const text = read(path.join(REGISTRY, "images/k8s-staging-npd/images.yaml"));
    const set = r.result.catalog?.imageSets.find((s) => s.dir === "k8s-staging-npd");
    const digests = set?.images.flatMap((i) => i.digests) ?? [];
    expect(digests).toHaveLength(text.match(/sha256:/g)?.length ?? -1);
    for (const { digest, tags } of digests) {
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      for (const tag of tags) expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
    }
    expect(r.result.problems.filter((p) => p.file.includes("k8s-staging-npd"))).toEqual([]);
  });
});
