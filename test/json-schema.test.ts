import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { checkPromotionTree, loadCatalog } from "../src/catalog/catalog";
import { readInfra } from "../src/catalog/infra";
import { FILE_SCHEMAS, jsonSchemas } from "../src/catalog/json-schema";
import type { Problem } from "../src/catalog/problems";
import { Problems } from "../src/catalog/problems";
import {
  bucketNameProblem,
  digestProblem,
  emailProblem,
  IMAGE_BUILDER_ID,
  imageNameProblem,
  locationProblem,
  MAX_CLEANUP_DAYS,
  memberProblem,
  projectIdProblem,
  registryNameProblem,
  repositoryIdProblem,
  roleProblem,
  serviceAccountIdProblem,
  serviceProblem,
  tagProblem,
} from "../src/catalog/rules";
import { VALUE_SCHEMAS } from "../src/catalog/schemas";
import { YamlFile } from "../src/catalog/yaml";
import { INFRA_FILE, K8SIO, SAMPLE } from "./fixtures/k8sio/sample";
import { DIGEST_A, PROD_POLICY, REPO_ROOT, SHARED, check, groupsFile, infra, manifest, productionDestinations, stagingGroup, type Files } from "./helpers";

const DIR = path.resolve(__dirname, "../schemas");
const CATALOG = path.join(REPO_ROOT, "projects");
const FIXTURES = path.join(SHARED, "promo-fixtures");

/**
 * Strict mode on. `allowUnionTypes` is the one relaxation: the reader keeps every
 * scalar as the text written while an editor's YAML parser reads `1.0` or `90` as a
 * number, so the schemas say `"type": ["string", "number"]` where such text can be right.
 */
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
const VALIDATORS: Record<string, ValidateFunction> = Object.fromEntries(
  Object.entries(jsonSchemas()).map(([file, text]) => [file, ajv.compile(JSON.parse(text) as object)]),
);

/** The schema of a catalog file, from its name (and, for a promoter manifest, its place). */
function schemaFileOf(rel: string): string | undefined {
  const base = path.posix.basename(rel);
  if (base === "infra.yaml") return "infra.schema.json";
  if (base === "images.yaml") return "images.schema.json";
  if (base === "OWNERS") return "owners.schema.json";
  if (base === "restrictions.yaml") return "restrictions.schema.json";
  if (base === "groups.yaml") return "groups.schema.json";
  // A promoter tree holds manifests/<dir>/promoter-manifest.yaml, or one plain file with its images inline.
  if (base === "promoter-manifest.yaml") return rel.split("/").includes("manifests") ? "promoter-manifest.schema.json" : "plain-manifest.schema.json";
  return undefined;
}

/**
 * The two readings of a file a schema meets: the editor's (the `yaml` package, YAML 1.2
 * core schema, as the YAML language server reads it: `1.0` is a number) and the validator's
 * (src/catalog/yaml.ts: every scalar the text written, but true, false and null).
 */
function readings(text: string): { editor: unknown; reader: unknown } {
  return { editor: parseYaml(text) ?? null, reader: new YamlFile("file", text, new Problems()).value };
}

/** The schema's errors for each reading of `text` as the file `rel`. */
function schemaErrors(rel: string, text: string): { editor: ErrorObject[]; reader: ErrorObject[] } {
  const validate = VALIDATORS[schemaFileOf(rel)!]!;
  const errorsOf = (value: unknown) => (validate(value) ? [] : [...(validate.errors ?? [])]);
  const { editor, reader } = readings(text);
  return { editor: errorsOf(editor), reader: errorsOf(reader) };
}

function filesUnder(root: string, rel = ""): string[] {
  return fs
    .readdirSync(path.join(root, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(root, path.posix.join(rel, e.name)) : [path.posix.join(rel, e.name)]))
    .sort();
}
const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), "utf8");

/**
 * Rules that hang on the stack's configuration or on other files: the schemas leave
 * them to `npm run validate`. Every other error of the validator is a value rule.
 */
const CONTEXT_RULES: RegExp[] = [
  /: destination \S+ is not under a production registry root; /,
  /: destination (path \S+|the root path) lacks \d+ production roots?: /,
  /: destination \S+ is listed twice \(first at line \d+\); remove one$/,
  /: service-account "[^"]*" must be the promoter account "[^"]*"$/,
  /: groups\/restrictions\.yaml does not allow \S+ in \S+; add it there or move the group$/,
  /: writers group \S+ of \S+ has no entry in \S+; add it there /,
  /: \S+ has no \S+\/images\.yaml; add it \(an empty file means no images yet\)$/,
  /: \S+ is not at manifests\/<dir>\/promoter-manifest\.yaml; move it up to exactly that depth$/,
  /: \S+ is promoted as sha256:[0-9a-f]+ here but as sha256:[0-9a-f]+ by \S+; one tag can name only one digest$/,
];
const isValueRuleError = (p: Problem) => p.severity === "error" && !CONTEXT_RULES.some((re) => re.test(`: ${p.message}`));

/** For every catalog file of a tree: does the schema reject it, and does the validator report a value rule there? */
function verdicts(root: string, files: string[], problems: Problem[]) {
  return files.map((rel) => {
    const errors = schemaErrors(rel, read(root, rel));
    return {
      rel,
      editor: errors.editor.length > 0,
      reader: errors.reader.length > 0,
      valueRule: problems.some((p) => p.file === rel && isValueRuleError(p)),
    };
  });
}

describe("JSON Schemas for editors", () => {
  it("the committed schemas/ match the zod schemas (run npm run schemas after changing them)", () => {
    for (const [file, text] of Object.entries(jsonSchemas())) {
      expect(fs.readFileSync(path.join(DIR, file), "utf8"), file).toBe(text);
    }
    expect(fs.readdirSync(DIR).sort()).toEqual(Object.keys(FILE_SCHEMAS).sort());
  });

  it("every schema compiles under ajv's draft 2020-12 in strict mode", () => {
    for (const [file, text] of Object.entries(jsonSchemas())) {
      const schema = JSON.parse(text) as { $schema: string };
      expect(schema.$schema, file).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(() => new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema), file).not.toThrow();
    }
  });

  it("the images schema rejects unknown keys, as the validator does", () => {
    const schema = JSON.parse(jsonSchemas()["images.schema.json"]!) as { anyOf: { items?: { additionalProperties?: boolean; required?: string[] } }[] };
    const list = schema.anyOf.find((s) => s.items);
    expect(list?.items?.additionalProperties).toBe(false);
    expect(list?.items?.required).toEqual(["name", "dmap"]);
  });
});

describe("the bundled catalog (projects/) names its schemas", () => {
  const files = filesUnder(CATALOG);

  it("every file starts with a yaml-language-server modeline to the schema of its kind, which exists", () => {
    expect(files.length).toBeGreaterThan(30);
    for (const rel of files) {
      const schema = schemaFileOf(rel);
      expect(schema, rel).toBeDefined();
      const expected = path.posix.relative(path.posix.dirname(path.posix.join("projects", rel)), `schemas/${schema}`);
      const first = read(CATALOG, rel).split("\n")[0];
      expect(first, rel).toBe(`# yaml-language-server: $schema=${expected}`);
      expect(fs.existsSync(path.resolve(CATALOG, path.dirname(rel), expected)), rel).toBe(true);
    }
  });

  it("every file passes its schema, as the editor and as the validator read it", () => {
    for (const rel of files) expect({ rel, ...schemaErrors(rel, read(CATALOG, rel)) }).toEqual({ rel, editor: [], reader: [] });
  });
});

describe("the k8s.io sample: the schemas reject exactly the files with a value-rule error", () => {
  const files = filesUnder(SAMPLE).filter((rel) => schemaFileOf(rel) && (rel === INFRA_FILE || rel.startsWith("registry.k8s.io/") || rel.startsWith(`${K8SIO.groups}/`)));
  const problems = loadCatalog(SAMPLE, PROD_POLICY, K8SIO).problems;
  const INGRESS = `${K8SIO.images}/k8s-staging-ingress-nginx/images.yaml`;

  it("holds every kind of file", () => {
    const kinds = new Set(files.map(schemaFileOf));
    expect([...kinds].sort()).toEqual(["groups.schema.json", "images.schema.json", "infra.schema.json", "owners.schema.json", "promoter-manifest.schema.json", "restrictions.schema.json"]);
    expect(files.length).toBeGreaterThan(200);
  });

  it("a file is rejected by its schema exactly when the validator reports a value rule in it", () => {
    const v = verdicts(SAMPLE, files, problems);
    for (const x of v) expect(x, x.rel).toEqual({ rel: x.rel, editor: x.valueRule, reader: x.valueRule, valueRule: x.valueRule });
    expect(v.filter((x) => x.valueRule).map((x) => x.rel)).toEqual([INGRESS]);
  });

  it("ingress-nginx's 63-character digest is the value-rule defect, rejected by both", () => {
    const short = problems.filter((p) => p.file === INGRESS && p.severity === "error");
    expect(short).toHaveLength(1);
    const digest = /digest "(sha256:[0-9a-f]+)"/.exec(short[0]!.message)![1]!;
    expect(short[0]!.message).toBe(`digest "${digest}" must have exactly 64 hex characters after "sha256:" (it has 63)`);
    for (const errors of Object.values(schemaErrors(INGRESS, read(SAMPLE, INGRESS)))) {
      expect(errors).toContainEqual(expect.objectContaining({ keyword: "pattern", propertyName: digest, instancePath: "/14/dmap" }));
    }
  });

  it("files the validator rejects only for configuration or cross-file rules pass their schema", () => {
    const rejected = new Set(problems.filter((p) => p.severity === "error").map((p) => p.file));
    const contextOnly = [...rejected].filter((f) => f !== INGRESS && files.includes(f));
    expect(contextOnly).toEqual(expect.arrayContaining([INFRA_FILE, "groups/sig-node/groups.yaml", `${K8SIO.manifests}/k8s-staging-releng/promoter-manifest.yaml`]));
    for (const rel of contextOnly) expect({ rel, ...schemaErrors(rel, read(SAMPLE, rel)) }).toEqual({ rel, editor: [], reader: [] });
  });
});

describe("the promoter's fixtures", () => {
  /** Every tree, as promo-fixtures.test.ts finds them: a folder with images/, manifests/ or a plain promoter-manifest.yaml. */
  function trees(dir = FIXTURES, rel = ""): string[] {
    const names = fs.readdirSync(dir);
    if (names.includes("images") || names.includes("manifests") || names.includes("promoter-manifest.yaml")) return [rel];
    return names.filter((n) => fs.statSync(path.join(dir, n)).isDirectory()).flatMap((n) => trees(path.join(dir, n), rel ? `${rel}/${n}` : n));
  }

  /** The files checkPromotionTree reads (a folder named manifest/, or one level too deep, is not read). */
  const READ = /^(?:images\/[^/]+\/images\.yaml|images\/[^/]+\/OWNERS|manifests\/[^/]+\/promoter-manifest\.yaml|promoter-manifest\.yaml)$/;

  it("no fixture fails on a value rule, and every file read of every tree, valid or invalid, passes its schema", () => {
    const all = trees();
    expect(all.length).toBeGreaterThan(15);
    let files = 0;
    for (const tree of all) {
      const root = path.join(FIXTURES, tree);
      const problems = checkPromotionTree(root, PROD_POLICY);
      expect(problems.filter(isValueRuleError), tree).toEqual([]);
      const rels = filesUnder(root).filter((rel) => READ.test(rel));
      files += rels.length;
      for (const x of verdicts(root, rels, problems)) expect(x, `${tree}/${x.rel}`).toEqual({ rel: x.rel, editor: false, reader: false, valueRule: false });
    }
    expect(files).toBeGreaterThan(30);
  });

  it("their unquoted tags (- 1.0) are numbers to an editor and pass the schema", () => {
    const rel = "test-e2e/cip/fixture/recursive-thin/images/bar/images.yaml";
    const text = read(FIXTURES, rel);
    expect(text).toContain("    - 1.0\n");
    const [image] = readings(text).editor as { dmap: Record<string, unknown[]> }[];
    expect(Object.values(image!.dmap)[0]).toEqual([1]);
    expect(schemaErrors(`images/bar/images.yaml`, text)).toEqual({ editor: [], reader: [] });
  });
});

// ---- the value rules, case by case: the validator and the schema agree ----

const IMAGES = "images/k8s-staging-demo/images.yaml";
const MANIFEST = "manifests/k8s-staging-demo/promoter-manifest.yaml";
const GROUPS = "groups/sig-demo/groups.yaml";
const DEMO = "/infra/staging/projects/k8s-staging-demo";

const imagesWith = (name: string, digest: string, tags: string) => `- name: ${name}\n  dmap:\n    "${digest}": ${tags}\n`;
/** A staging group entry as stagingGroup writes it (8 lines: members at index 5), its lines edited. */
function group(suffix: string, edit: (lines: string[]) => string[] = (l) => l): string {
  return edit(stagingGroup(suffix).split("\n")).join("\n");
}

interface Bad {
  rule: string;
  changes: Files;
  /** the file the schema checks */
  file: string;
  /** the validator's message (of the error it reports for this value) */
  message: string;
  /** what ajv reports, on the editor's reading of the file */
  keyword: string;
  instancePath: string;
}

const long = (n: number, c = "a") => c.repeat(n);
const SUFFIX_19 = "abcdefghijklmnopqrs";

const BAD: Bad[] = [
  { rule: "digest: 63 hex", changes: { [IMAGES]: imagesWith("demo", `sha256:${long(63)}`, '["v1"]') }, file: IMAGES, message: `digest "sha256:${long(63)}" must have exactly 64 hex characters after "sha256:" (it has 63)`, keyword: "pattern", instancePath: "/0/dmap" },
  { rule: "digest: capitals", changes: { [IMAGES]: imagesWith("demo", `sha256:${long(64, "A")}`, '["v1"]') }, file: IMAGES, message: `digest "sha256:${long(64, "A")}" must hold only lowercase hex characters after "sha256:"`, keyword: "pattern", instancePath: "/0/dmap" },
  { rule: "digest: no sha256:", changes: { [IMAGES]: imagesWith("demo", long(64), '["v1"]') }, file: IMAGES, message: `digest "${long(64)}" must start with "sha256:"`, keyword: "pattern", instancePath: "/0/dmap" },
  { rule: "tag: starts with -", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, '["-rc1"]') }, file: IMAGES, message: `tag "-rc1" must start with a letter, digit or underscore`, keyword: "pattern", instancePath: `/0/dmap/${DIGEST_A}/0` },
  { rule: "tag: a negative number", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, "[-1]") }, file: IMAGES, message: `tag "-1" must start with a letter, digit or underscore`, keyword: "minimum", instancePath: `/0/dmap/${DIGEST_A}/0` },
  { rule: "tag: a +", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, '["v1+build"]') }, file: IMAGES, message: `tag "v1+build" may only hold letters, digits, "_", "." and "-"`, keyword: "pattern", instancePath: `/0/dmap/${DIGEST_A}/0` },
  { rule: "tag: 129 characters", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, `["${long(129)}"]`) }, file: IMAGES, message: `tag "${long(20)}..." must be at most 128 characters (it has 129)`, keyword: "maxLength", instancePath: `/0/dmap/${DIGEST_A}/0` },
  { rule: "tag: empty", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, '[""]') }, file: IMAGES, message: "a tag must not be empty", keyword: "pattern", instancePath: `/0/dmap/${DIGEST_A}/0` },
  { rule: "image name: capitals", changes: { [IMAGES]: imagesWith("Demo", DIGEST_A, '["v1"]') }, file: IMAGES, message: `image name "Demo" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`, keyword: "pattern", instancePath: "/0/name" },
  { rule: "image name: empty component", changes: { [IMAGES]: imagesWith("demo//x", DIGEST_A, '["v1"]') }, file: IMAGES, message: `image name "demo//x" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`, keyword: "pattern", instancePath: "/0/name" },
  { rule: "image name: 256 characters", changes: { [IMAGES]: imagesWith(long(256), DIGEST_A, '["v1"]') }, file: IMAGES, message: `image name "${long(40)}..." must be at most 255 characters (it has 256)`, keyword: "maxLength", instancePath: "/0/name" },
  { rule: "registry: trailing /", changes: { [MANIFEST]: manifest("gcr.io/k8s-staging-demo/", productionDestinations("demo")) }, file: MANIFEST, message: `registry "gcr.io/k8s-staging-demo/" must be a host and path components such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo: lowercase, no trailing "/", no empty, "." or ".." component`, keyword: "pattern", instancePath: "/registries/0/name" },
  { rule: "registry: capitals", changes: { [MANIFEST]: manifest("GCR.io/k8s-staging-demo", productionDestinations("demo")) }, file: MANIFEST, message: `registry "GCR.io/k8s-staging-demo" must be a host and path components such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo: lowercase, no trailing "/", no empty, "." or ".." component`, keyword: "pattern", instancePath: "/registries/0/name" },
  { rule: "registry: two sources", changes: { [MANIFEST]: manifest("gcr.io/k8s-staging-demo", productionDestinations("demo")).replace("  service-account", "  src: true\n  service-account") }, file: MANIFEST, message: "a manifest needs exactly one registry with src: true (it has 2)", keyword: "contains", instancePath: "/registries" },
  { rule: "project id: capitals", changes: { "infra.yaml": infra("k8s-staging-Demo:") }, file: "infra.yaml", message: `project id "k8s-staging-Demo" may only hold lowercase letters, digits and hyphens`, keyword: "pattern", instancePath: "/infra/staging/projects" },
  { rule: "project id: no prefix", changes: { "infra.yaml": infra("staging-demo:") }, file: "infra.yaml", message: `staging project id "staging-demo" must start with "k8s-staging-" followed by the subproject name`, keyword: "pattern", instancePath: "/infra/staging/projects" },
  { rule: "project id: only the prefix", changes: { "infra.yaml": infra("k8s-staging-:") }, file: "infra.yaml", message: `project id "k8s-staging-" must not end with a hyphen`, keyword: "pattern", instancePath: "/infra/staging/projects" },
  { rule: "project id: 31 characters", changes: { "infra.yaml": infra(`k8s-staging-${SUFFIX_19}:`) }, file: "infra.yaml", message: `project id "k8s-staging-${SUFFIX_19}" must be 6 to 30 characters long (it has 31)`, keyword: "maxLength", instancePath: "/infra/staging/projects" },
  { rule: "project id: google", changes: { "infra.yaml": infra("k8s-staging-google-demo:") }, file: "infra.yaml", message: `project id "k8s-staging-google-demo" must not contain "google" (Google Cloud refuses such ids); choose another name`, keyword: "pattern", instancePath: "/infra/staging/projects" },
  { rule: "project id: ssl", changes: { "infra.yaml": infra("k8s-staging-sslproxy:") }, file: "infra.yaml", message: `project id "k8s-staging-sslproxy" must not contain "ssl" (Google Cloud refuses such ids); choose another name`, keyword: "pattern", instancePath: "/infra/staging/projects" },
  { rule: "email: a member", changes: { [GROUPS]: groupsFile(stagingGroup("demo", ["alice"])) }, file: GROUPS, message: `members entry "alice" is not an email address`, keyword: "pattern", instancePath: "/groups/0/members/0" },
  { rule: "email: a member in capitals", changes: { [GROUPS]: groupsFile(stagingGroup("demo", ["Alice@example.org"])) }, file: GROUPS, message: "members entry Alice@example.org must be written in lowercase (alice@example.org): addresses are compared in lowercase", keyword: "pattern", instancePath: "/groups/0/members/0" },
  { rule: "email: a manager", changes: { [GROUPS]: groupsFile(group("demo", (l) => [...l.slice(0, 5), "    managers:", "      - bob@", ...l.slice(5)])) }, file: GROUPS, message: `managers entry "bob@" is not an email address`, keyword: "pattern", instancePath: "/groups/0/managers/0" },
  { rule: "email: listed twice in a list", changes: { [GROUPS]: groupsFile(stagingGroup("demo", ["alice@example.org", "alice@example.org"])) }, file: GROUPS, message: "alice@example.org appears twice in k8s-infra-staging-demo (also in members); list each person once", keyword: "uniqueItems", instancePath: "/groups/0/members" },
  { rule: "email: writers", changes: { "infra.yaml": infra("k8s-staging-demo: {writers: demo-writers}") }, file: "infra.yaml", message: `writers "demo-writers" is not an email address`, keyword: "pattern", instancePath: `${DEMO}/writers` },
  { rule: "email: writers in capitals", changes: { "infra.yaml": infra("k8s-staging-demo: {writers: K8s-infra-staging-demo@kubernetes.io}") }, file: "infra.yaml", message: "writers K8s-infra-staging-demo@kubernetes.io must be written in lowercase", keyword: "pattern", instancePath: `${DEMO}/writers` },
  { rule: "email: writerAccounts", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {images: {writerAccounts: [ci]}}}") }, file: "infra.yaml", message: `writerAccounts entry "ci" is not an email address`, keyword: "pattern", instancePath: `${DEMO}/repositories/images/writerAccounts/0` },
  { rule: "email: writerAccounts of a person", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {images: {writerAccounts: [ci@example.org]}}}") }, file: "infra.yaml", message: "writerAccounts entry ci@example.org must be a service account (…gserviceaccount.com); people push through a writers group", keyword: "pattern", instancePath: `${DEMO}/repositories/images/writerAccounts/0` },
  { rule: "group name: 19-character suffix", changes: { [GROUPS]: groupsFile(stagingGroup(SUFFIX_19)) }, file: GROUPS, message: `group name "k8s-infra-staging-${SUFFIX_19}" must have 1 to 18 characters after "k8s-infra-staging-" (it has 19)`, keyword: "pattern", instancePath: "/groups/0/name" },
  { rule: "group name: empty suffix", changes: { [GROUPS]: groupsFile(stagingGroup("")) }, file: GROUPS, message: `group name "k8s-infra-staging-" must have 1 to 18 characters after "k8s-infra-staging-" (it has 0)`, keyword: "pattern", instancePath: "/groups/0/name" },
  { rule: "group name: writers with a 19-character suffix", changes: { "infra.yaml": infra(`k8s-staging-demo: {writers: k8s-infra-staging-${SUFFIX_19}@kubernetes.io}`) }, file: "infra.yaml", message: `writers group k8s-infra-staging-${SUFFIX_19}@kubernetes.io of k8s-staging-demo has 19 characters after "k8s-infra-staging-" (at most 18); set writers: to a shorter group`, keyword: "not", instancePath: `${DEMO}/writers` },
  { rule: "group name: a 19-character repository without writers", changes: { "infra.yaml": infra(`k8s-staging-demo: {repositories: {${SUFFIX_19}: {}}}`) }, file: "infra.yaml", message: `writers group k8s-infra-staging-${SUFFIX_19}@kubernetes.io of k8s-staging-demo/${SUFFIX_19} has 19 characters after "k8s-infra-staging-" (at most 18); set writers: to a shorter group`, keyword: "anyOf", instancePath: `${DEMO}/repositories/${SUFFIX_19}` },
  { rule: "group description: 301 characters", changes: { [GROUPS]: groupsFile(group("demo", (l) => l.map((x) => (x.startsWith("    description:") ? `    description: ${long(301)}` : x)))) }, file: GROUPS, message: "description of k8s-infra-staging-demo must be at most 300 characters (it has 301)", keyword: "maxLength", instancePath: "/groups/0/description" },
  { rule: "staging group: owners", changes: { [GROUPS]: groupsFile(group("demo", (l) => [...l.slice(0, 5), "    owners:", "      - carol@example.org", ...l.slice(5)])) }, file: GROUPS, message: "staging group k8s-infra-staging-demo must not have owners; list them as managers", keyword: "maxItems", instancePath: "/groups/0/owners" },
  { rule: "staging group: ReconcileMembers", changes: { [GROUPS]: groupsFile(group("demo", (l) => l.map((x) => x.replace('"true"', '"false"')))) }, file: GROUPS, message: 'staging group k8s-infra-staging-demo must set settings.ReconcileMembers: "true"', keyword: "const", instancePath: "/groups/0/settings/ReconcileMembers" },
  { rule: "cleanup days: 0", changes: { "infra.yaml": infra("k8s-staging-demo: {cleanup: {olderThanDays: 0}}") }, file: "infra.yaml", message: "cleanup.olderThanDays must be 1 to 3650 (it is 0)", keyword: "minimum", instancePath: `${DEMO}/cleanup/olderThanDays` },
  { rule: "cleanup days: 3651", changes: { "infra.yaml": infra("k8s-staging-demo: {cleanup: {olderThanDays: 3651}}") }, file: "infra.yaml", message: "cleanup.olderThanDays must be 1 to 3650 (it is 3651)", keyword: "maximum", instancePath: `${DEMO}/cleanup/olderThanDays` },
  { rule: "cleanup days: quoted 0", changes: { "infra.yaml": infra('k8s-staging-demo: {cleanup: {olderThanDays: "000"}}') }, file: "infra.yaml", message: "cleanup.olderThanDays must be 1 to 3650 (it is 0)", keyword: "pattern", instancePath: `${DEMO}/cleanup/olderThanDays` },
  { rule: "cleanup days: a word", changes: { "infra.yaml": infra("k8s-staging-demo: {cleanup: {olderThanDays: ninety}}") }, file: "infra.yaml", message: "infra.staging.projects.k8s-staging-demo.cleanup.olderThanDays must be a whole number", keyword: "pattern", instancePath: `${DEMO}/cleanup/olderThanDays` },
  { rule: "retentionDays: 0", changes: { "infra.yaml": infra("k8s-staging-demo: {buckets: {k8s-staging-demo: {retentionDays: 0}}}") }, file: "infra.yaml", message: "retentionDays must be 1 to 3650", keyword: "minimum", instancePath: `${DEMO}/buckets/k8s-staging-demo/retentionDays` },
  { rule: "retentionDays: 4000", changes: { "infra.yaml": infra("k8s-staging-demo: {buckets: {demo-extra: {retentionDays: 4000}}}") }, file: "infra.yaml", message: "retentionDays must be 1 to 3650", keyword: "maximum", instancePath: `${DEMO}/buckets/demo-extra/retentionDays` },
  { rule: "repository name", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {Images: {}}}") }, file: "infra.yaml", message: `repository name "Images" must be 1 to 63 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (or one of gcr.io, us.gcr.io, eu.gcr.io, asia.gcr.io)`, keyword: "propertyNames", instancePath: `${DEMO}/repositories` },
  { rule: "repository name: too short for a build account", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {ab: {writers: k8s-infra-staging-demo@kubernetes.io}}}") }, file: "infra.yaml", message: `repository "ab" cannot name a build account "ab-sa"; set buildAccount: false`, keyword: "required", instancePath: `${DEMO}/repositories/ab` },
  { rule: "repository name: gcr.io builds nothing", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {gcr.io: {writers: k8s-infra-staging-demo@kubernetes.io}}}") }, file: "infra.yaml", message: `repository "gcr.io" cannot name a build account "gcr.io-sa"; set buildAccount: false`, keyword: "required", instancePath: `${DEMO}/repositories/gcr.io` },
  { rule: "location: gcr.io elsewhere", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {gcr.io: {buildAccount: false, location: europe}}}") }, file: "infra.yaml", message: "repository gcr.io serves a gcr.io host and must be in location us", keyword: "const", instancePath: `${DEMO}/repositories/gcr.io/location` },
  { rule: "location", changes: { "infra.yaml": infra("k8s-staging-demo: {repositories: {images: {location: mars}}}") }, file: "infra.yaml", message: `location "mars" must be a region such as us-central1 or a multi-region (us, europe, asia)`, keyword: "pattern", instancePath: `${DEMO}/repositories/images/location` },
  { rule: "bucket name", changes: { "infra.yaml": infra("k8s-staging-demo: {buckets: {my-google-bucket: {keepObjects: true}}}") }, file: "infra.yaml", message: `bucket name "my-google-bucket" must be 3 to 63 lowercase letters, digits, "-" and "_", start and end with a letter or digit, and not contain "google"`, keyword: "pattern", instancePath: `${DEMO}/buckets` },
  { rule: "service account id", changes: { "infra.yaml": infra("k8s-staging-demo: {builderAccounts: {ci: {workloadIdentityPool: k8s-infra-prow-build.svc.id.goog}}}") }, file: "infra.yaml", message: `service account id "ci" must be 6 to 30 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`, keyword: "pattern", instancePath: `${DEMO}/builderAccounts` },
  { rule: "service account id: the image builder", changes: { "infra.yaml": infra(`k8s-staging-demo: {builderAccounts: {${IMAGE_BUILDER_ID}: {workloadIdentityPool: k8s-infra-prow-build.svc.id.goog}}}`) }, file: "infra.yaml", message: `${IMAGE_BUILDER_ID} is the project's own image builder; name the CI account otherwise (upstream: gcb-builder-<name>)`, keyword: "not", instancePath: `${DEMO}/builderAccounts` },
  { rule: "workloadIdentityPool", changes: { "infra.yaml": infra("k8s-staging-demo: {builderAccounts: {gcb-builder-demo: {workloadIdentityPool: prow}}}") }, file: "infra.yaml", message: `workloadIdentityPool "prow" must be a pool such as k8s-infra-prow-build.svc.id.goog`, keyword: "pattern", instancePath: `${DEMO}/builderAccounts/gcb-builder-demo/workloadIdentityPool` },
  { rule: "services", changes: { "infra.yaml": infra("k8s-staging-demo: {services: [compute]}") }, file: "infra.yaml", message: `service "compute" must be an API name such as "compute.googleapis.com"`, keyword: "pattern", instancePath: `${DEMO}/services/0` },
  { rule: "services: refused", changes: { "infra.yaml": infra("k8s-staging-demo: {services: [source.googleapis.com]}") }, file: "infra.yaml", message: `service "source.googleapis.com" is only enabled as a side effect of another service; the Google provider does not manage it`, keyword: "not", instancePath: `${DEMO}/services/0` },
  { rule: "role", changes: { "infra.yaml": infra("k8s-staging-demo: {iam: [{role: viewer, members: [group:g@kubernetes.io]}]}") }, file: "infra.yaml", message: `role "viewer" must be "roles/<name>" or a custom role "projects/<id>/roles/<name>"`, keyword: "pattern", instancePath: `${DEMO}/iam/0/role` },
  { rule: "role: owner to a person", changes: { "infra.yaml": infra("k8s-staging-demo: {iam: [{role: roles/owner, members: [user:alice@kubernetes.io]}]}") }, file: "infra.yaml", message: "roles/owner cannot be granted to user:alice@kubernetes.io: Google Cloud requires an invitation the person accepts; grant it to a group instead", keyword: "not", instancePath: `${DEMO}/iam/0/members/0` },
  { rule: "IAM member: no kind", changes: { "infra.yaml": infra("k8s-staging-demo: {iam: [{role: roles/viewer, members: [alice@kubernetes.io]}]}") }, file: "infra.yaml", message: `IAM member "alice@kubernetes.io" must be user:, group: or serviceAccount: with an email, domain: with a domain, or a principal:// or principalSet:// identifier`, keyword: "pattern", instancePath: `${DEMO}/iam/0/members/0` },
  { rule: "IAM member: capitals", changes: { "infra.yaml": infra("k8s-staging-demo: {iam: [{role: roles/viewer, members: [user:Alice@kubernetes.io]}]}") }, file: "infra.yaml", message: `IAM member "user:Alice@kubernetes.io" must be written in lowercase (IAM compares addresses in lowercase)`, keyword: "pattern", instancePath: `${DEMO}/iam/0/members/0` },
  { rule: "IAM member: public", changes: { "infra.yaml": infra("k8s-staging-demo: {gcrIam: [{role: roles/viewer, members: [allUsers]}]}") }, file: "infra.yaml", message: `IAM member "allUsers" is not allowed here: public access is only granted by the program, to read staging registries and buckets`, keyword: "pattern", instancePath: `${DEMO}/gcrIam/0/members/0` },
  { rule: "folderId", changes: { "infra.yaml": infra("k8s-staging-demo: {folderId: folder-1}") }, file: "infra.yaml", message: `folderId "folder-1" must be a numeric folder id`, keyword: "pattern", instancePath: `${DEMO}/folderId` },
  { rule: "folderId: negative", changes: { "infra.yaml": infra("k8s-staging-demo: {folderId: -5}") }, file: "infra.yaml", message: `folderId "-5" must be a numeric folder id`, keyword: "minimum", instancePath: `${DEMO}/folderId` },
];

interface Good {
  rule: string;
  changes: Files;
}

const DIGEST_MIXED = `sha256:${"0123456789abcdef".repeat(4)}`;
const SUFFIX_18 = "abcdefghijklmnopqr";
const demoGroup = stagingGroup("demo");

const GOOD: Good[] = [
  { rule: "digest: 64 hex, every hex digit", changes: { [IMAGES]: imagesWith("demo", DIGEST_MIXED, '["v1"]') } },
  { rule: "tag: 128 characters", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, `["${long(128)}"]`) } },
  { rule: "tag: starting with _", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, '["_latest", "v1.0.0-rc.1", "0.1"]') } },
  { rule: "tag: unquoted numbers (numbers to an editor)", changes: { [IMAGES]: imagesWith("demo", DIGEST_A, "[1.0, 20240101, 1.10]") } },
  { rule: "image name: components and separators, 255 characters", changes: { [IMAGES]: imagesWith("charts/demo__x.y--z", DIGEST_A, '["v1"]') + imagesWith(`${long(127)}/${long(127, "b")}`, DIGEST_A, '["v1"]') } },
  { rule: "registry: a host with a port", changes: { [MANIFEST]: manifest("localhost:5000/k8s-staging-demo", productionDestinations("demo")) } },
  {
    rule: "project id: 30 characters, with its 18-character group suffix",
    changes: { "infra.yaml": infra("k8s-staging-demo:", `k8s-staging-${SUFFIX_18}:`), [GROUPS]: groupsFile(demoGroup, stagingGroup(SUFFIX_18)) },
  },
  {
    rule: "email: writers and a group's people",
    changes: {
      "infra.yaml": infra("k8s-staging-demo: {writers: k8s-infra-staging-demo@kubernetes.io}"),
      [GROUPS]: groupsFile(group("demo", (l) => [...l.slice(0, 5), "    managers:", "      - o'brien+k8s@sub.example.org", ...l.slice(5)])),
    },
  },
  {
    rule: "group: only k8s-infra-staging- groups are checked",
    changes: {
      [GROUPS]: groupsFile(
        demoGroup,
        ["  - email-id: sig-demo-leads@kubernetes.io", "    name: sig-demo-leads", `    description: ${long(400)}`, "    owners:", "      - Carol@Example.org", "    members:", "      - not an email", "      - not an email", ""].join("\n"),
      ),
    },
  },
  { rule: "group description: 300 characters", changes: { [GROUPS]: groupsFile(group("demo", (l) => l.map((x) => (x.startsWith("    description:") ? `    description: ${long(300)}` : x)))) } },
  { rule: "cleanup days: 1 and 3650, and leading zeros", changes: { "infra.yaml": infra("k8s-staging-demo: {cleanup: {olderThanDays: 1}, buckets: {demo-logs: {retentionDays: 3650}, demo-keep: {retentionDays: 0090}}}") } },
  { rule: "cleanup days: quoted", changes: { "infra.yaml": infra('k8s-staging-demo: {cleanup: {olderThanDays: "3650"}, buckets: {k8s-staging-demo: {retentionDays: "1"}}}') } },
  {
    rule: "repository names: gcr.io in its location, short names without a build account, a long one with writers",
    changes: {
      "infra.yaml": infra(
        `k8s-staging-demo: {repositories: {gcr.io: {buildAccount: false, location: us, writers: k8s-infra-staging-demo@kubernetes.io}, eu.gcr.io: {buildAccount: false, writers: k8s-infra-staging-demo@kubernetes.io}, ab: {buildAccount: false, writers: k8s-infra-staging-demo@kubernetes.io}, ${SUFFIX_19}: {writerAccounts: [ci@k8s-staging-demo.iam.gserviceaccount.com], location: europe-west4}}}`,
      ),
    },
  },
  { rule: "repository name: 63 characters", changes: { "infra.yaml": infra(`k8s-staging-demo: {repositories: {a${long(61, "b")}c: {writerAccounts: [ci@k8s-staging-demo.iam.gserviceaccount.com]}}}`) } },
  { rule: "bucket names: 3 and 63 characters", changes: { "infra.yaml": infra(`k8s-staging-demo: {buckets: {a_1: {keepObjects: true}, ${long(63, "z")}: {retentionDays: 7}}}`) } },
  {
    rule: "builder account, pool, services, roles, members, folder",
    changes: {
      "infra.yaml": infra(
        "k8s-staging-demo: {folderId: 123456789012, services: [compute.googleapis.com], builderAccounts: {gcb-builder-demo: {workloadIdentityPool: k8s-infra-prow-build.svc.id.goog}}, iam: [{role: roles/owner, members: [group:owners@kubernetes.io]}, {role: projects/k8s-staging-demo/roles/pusher.v2, members: [domain:kubernetes.io, serviceAccount:ci@k8s-staging-demo.iam.gserviceaccount.com, user:alice@kubernetes.io, 'principalSet://iam.googleapis.com/locations/global/workforcePools/p/group/G']}]}",
      ),
    },
  },
  { rule: "folderId: quoted", changes: { "infra.yaml": infra('k8s-staging-demo: {folderId: "0042"}') } },
];

describe("bad values: the validator and the schema both reject each", () => {
  it.each(BAD.map((c) => [c.rule, c] as const))("%s", (_rule, c) => {
    const r = check(c.changes);
    expect(r.result.problems.filter((p) => p.severity === "error").map((p) => p.message)).toContain(c.message);
    const { editor, reader } = schemaErrors(c.file, c.changes[c.file]!);
    expect(editor).toContainEqual(expect.objectContaining({ keyword: c.keyword, instancePath: c.instancePath }));
    // The validator's reading keeps numbers as text: the same place fails, maybe by another keyword (a pattern for "-1").
    expect(reader.map((e) => e.instancePath)).toContain(c.instancePath);
  });
});

describe("good edge values: the validator and the schema both accept each", () => {
  it.each(GOOD.map((c) => [c.rule, c] as const))("%s", (_rule, c) => {
    expect(check(c.changes).errors).toEqual([]);
    for (const [file, text] of Object.entries(c.changes)) expect({ file, ...schemaErrors(file, text!) }).toEqual({ file, editor: [], reader: [] });
  });
});

// ---- each value schema against its Problem function, on many strings ----

/** A small deterministic generator (no dependency, same strings every run). */
function strings(seeds: string[], count: number): string[] {
  let state = 20240607;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const pieces = [..."abz09-._/:@%+'AZ_ \n", "😀", "é", "google", "null", "ssl", "sha256:", "k8s-staging-", "user:", "group:", "domain:", "principalSet://", ".googleapis.com", "roles/", "projects/", "/roles/", "gcr.io", "goog", "--", "__", "f".repeat(32), "us", "-central1", IMAGE_BUILDER_ID];
  const out = [...seeds];
  while (out.length < count) {
    if (next() < 0.4) {
      let s = "";
      for (let n = Math.floor(next() * 10); n > 0; n--) s += pick(pieces);
      out.push(s);
    } else {
      let s = pick(seeds);
      for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
        const i = Math.floor(next() * (s.length + 1));
        const r = next();
        s = r < 0.4 ? s.slice(0, i) + pick(pieces) + s.slice(i) : r < 0.7 ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + pick(pieces) + s.slice(i + 1);
      }
      out.push(s);
    }
  }
  return out;
}

const RULES: [field: keyof typeof VALUE_SCHEMAS, problem: (v: string) => string | undefined, seeds: string[]][] = [
  ["digest", digestProblem, [DIGEST_A, DIGEST_MIXED]],
  ["tag", tagProblem, ["v1.0.0", "_x", long(128), long(129)]],
  ["imageName", imageNameProblem, ["charts/demo__x.y--z", long(255), long(256)]],
  ["registryName", registryNameProblem, ["us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo", "localhost:5000/a"]],
  ["projectId", projectIdProblem, ["k8s-staging-demo", `k8s-staging-${SUFFIX_18}`, "k8s-staging-nullx"]],
  ["repositoryName", repositoryIdProblem, ["images", "gcr.io", "asia.gcr.io", `a${long(62)}`]],
  ["location", locationProblem, ["us-central1", "europe", "asia-east1"]],
  ["bucketName", bucketNameProblem, ["k8s-staging-demo-gcb", "a_1", "googx"]],
  // The validator refuses the image builder's id beside the shape (infra.ts).
  ["serviceAccountId", (v) => serviceAccountIdProblem(v) ?? (v === IMAGE_BUILDER_ID ? "the image builder" : undefined), ["gcb-builder-demo", IMAGE_BUILDER_ID]],
  ["service", serviceProblem, ["compute.googleapis.com", "source.googleapis.com", "bigquery-json.googleapis.com"]],
  ["role", (v) => roleProblem(v), ["roles/viewer", "projects/k8s-staging-demo/roles/x.y", "organizations/1/roles/a"]],
  ["member", (v) => memberProblem(v), ["user:a@b.io", "domain:kubernetes.io", "principal://iam.googleapis.com/x", "allUsers"]],
  ["email", emailProblem, ["alice@example.org", "o'brien+k8s@sub.example.org"]],
];

describe("each value schema accepts exactly what its Problem function accepts", () => {
  const jsonOf = (field: keyof typeof VALUE_SCHEMAS) => ajv.compile(z.toJSONSchema(VALUE_SCHEMAS[field] as z.ZodType, { io: "input" }) as object);

  it.each(RULES.map(([field, problem, seeds]) => [field, problem, seeds] as const))("%s", (field, problem, seeds) => {
    const validate = jsonOf(field);
    const disagree = strings(seeds, 3000).filter((v) => validate(v) !== (problem(v) === undefined));
    expect(disagree).toEqual([]);
  });

  it(`days: whole numbers 1 to ${MAX_CLEANUP_DAYS}, as text and as an editor's number, as readInfra reads them`, () => {
    const validate = jsonOf("days");
    const validatorAccepts = (written: string) => {
      const problems = new Problems();
      const text = infra(`k8s-staging-demo: {cleanup: {olderThanDays: ${written}}}`);
      readInfra(new YamlFile("infra.yaml", text, problems), PROD_POLICY, problems);
      return problems.errorCount === 0;
    };
    const asEditorReadsIt = (written: string) => (parseYaml(`x: ${written}`) as { x: unknown }).x;
    const disagree: string[] = [];
    for (let n = 0; n <= MAX_CLEANUP_DAYS + 20; n += n < 40 || n > MAX_CLEANUP_DAYS - 40 ? 1 : 37) {
      for (const written of [String(n), `00${n}`]) {
        const ok = validatorAccepts(written);
        // unquoted: the reader keeps the text, an editor has a number; quoted: both have the text
        if (validate(written) !== ok || validate(asEditorReadsIt(written)) !== ok) disagree.push(written);
        if (validatorAccepts(JSON.stringify(written)) !== ok) disagree.push(JSON.stringify(written));
      }
    }
    for (const written of ["", "-1", "1.5", "ten", "99999999999999999999"]) if (validate(written) !== validatorAccepts(JSON.stringify(written))) disagree.push(written);
    expect(disagree).toEqual([]);
  });
});
