/**
 * Hostile and careless input: every problem is reported (file, line, message), nothing is
 * skipped, nothing hangs, no stack trace. Large inputs are generated here, never committed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/catalog";
import { escapeControl } from "../src/catalog/problems";
import { checkChangeRules } from "../src/review/change-rules";
import { baseCatalog, DIGEST_A, groupsFile, infra, manifest, outcomeOf, PROD_POLICY, productionDestinations, REPO_ROOT, stagingGroup, tempDir, writeTree, type Files } from "./helpers";

const GROUPS = "groups/sig-demo/groups.yaml";
const IMAGES = "images/k8s-staging-demo/images.yaml";
const MANIFEST = "manifests/k8s-staging-demo/promoter-manifest.yaml";
const NO_ENTRY =
  "infra.yaml:5:7: error: writers group k8s-infra-staging-demo@kubernetes.io of k8s-staging-demo has no entry in groups/**/groups.yaml; add it there (the groups reconciler deletes every group groups.yaml does not list)";

/** The base catalog with `changes`, then `mutate` on its folder; the outcome and how long loading took. */
function load(changes: Files = {}, mutate: (root: string) => void = () => {}) {
  const root = writeTree({ ...baseCatalog(), ...changes });
  mutate(root);
  const t0 = performance.now();
  const r = outcomeOf(loadCatalog(root, PROD_POLICY));
  return { ...r, ms: performance.now() - t0, root };
}

function replaceWith(root: string, rel: string, make: (abs: string) => void): void {
  const abs = path.join(root, rel);
  fs.rmSync(abs, { force: true, recursive: true });
  make(abs);
}

function cli(script: string, args: string[], cwd = REPO_ROOT) {
  const r = spawnSync("npx", ["tsx", path.join(REPO_ROOT, "src/cli", script), ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_TRACE = /\n\s+at .+:\d+:\d+\)?\n/;

describe("no file is skipped: a path that exists but is not a readable regular file is an error", () => {
  it("1 a folder where groups.yaml belongs", () => {
    const r = load({}, (root) => replaceWith(root, GROUPS, (abs) => fs.mkdirSync(abs)));
    expect(r.errors).toEqual([`${GROUPS}:1:1: error: ${GROUPS} is a folder; a file is expected here`, NO_ENTRY]);
    expect(r.result.catalog).toBeUndefined();
  });

  it("2 a dangling link in place of groups.yaml", () => {
    const r = load({}, (root) => replaceWith(root, GROUPS, (abs) => fs.symlinkSync("gone.yaml", abs)));
    expect(r.errors).toEqual([`${GROUPS}:1:1: error: ${GROUPS} is a dangling symbolic link (to gone.yaml)`, NO_ENTRY]);
  });

  it("3 a link that loops", () => {
    const r = load({}, (root) =>
      replaceWith(root, GROUPS, (abs) => {
        fs.symlinkSync(`${abs}.b`, abs);
        fs.symlinkSync(abs, `${abs}.b`);
      }),
    );
    expect(r.errors[0]).toBe(`${GROUPS}:1:1: error: ${GROUPS} is a symbolic link that loops`);
  });

  it("4 a link that leaves the catalog root", () => {
    const outside = path.join(tempDir("outside-"), "groups.yaml");
    fs.writeFileSync(outside, groupsFile(stagingGroup("demo")));
    const r = load({}, (root) => replaceWith(root, GROUPS, (abs) => fs.symlinkSync(outside, abs)));
    expect(r.errors[0]).toBe(`${GROUPS}:1:1: error: ${GROUPS} is a symbolic link to ${fs.realpathSync(outside)}, outside the catalog root; copy the file into the catalog instead`);
  });

  it("5 a link inside the root is followed", () => {
    const r = load({}, (root) => {
      fs.renameSync(path.join(root, GROUPS), path.join(root, "groups/sig-demo/real.yaml"));
      fs.symlinkSync("real.yaml", path.join(root, GROUPS));
    });
    expect(r.errors).toEqual([]);
  });

  it("6 a named pipe in place of images.yaml is an error, read without blocking", () => {
    const r = load({}, (root) => replaceWith(root, IMAGES, (abs) => execFileSync("mkfifo", [abs])));
    expect(r.errors).toEqual([`${IMAGES}:1:1: error: ${IMAGES} is a named pipe (FIFO), not a regular file`]);
    expect(r.ms).toBeLessThan(5_000);
  });

  it("7 a device behind a link", () => {
    const r = load({}, (root) => replaceWith(root, IMAGES, (abs) => fs.symlinkSync("/dev/zero", abs)));
    expect(r.errors).toEqual([`${IMAGES}:1:1: error: ${IMAGES} is a symbolic link to /dev/zero, outside the catalog root; copy the file into the catalog instead`]);
  });

  it("8 restrictions.yaml as a folder does not turn restrictions off", () => {
    const r = load({}, (root) => fs.mkdirSync(path.join(root, "groups/restrictions.yaml")));
    expect(r.errors).toEqual(["groups/restrictions.yaml:1:1: error: groups/restrictions.yaml is a folder; a file is expected here"]);
  });

  it("9 a folder where the manifest belongs", () => {
    const r = load({}, (root) => replaceWith(root, MANIFEST, (abs) => fs.mkdirSync(abs)));
    expect(r.errors).toEqual([`${MANIFEST}:1:1: error: ${MANIFEST} is a folder; a file is expected here`]);
  });

  it("10 a link in groups/ back to a folder above it is reported, not walked for ever", () => {
    const r = load({}, (root) => fs.symlinkSync("..", path.join(root, "groups/sig-demo/up")));
    expect(r.errors).toEqual(["groups/sig-demo/up:1:1: error: groups/sig-demo/up links back to a folder above it; remove the link"]);
    expect(r.ms).toBeLessThan(5_000);
  });

  it("11 a file larger than the limit (64 MB) is an error naming it", () => {
    const r = load({}, (root) => fs.truncateSync(path.join(root, IMAGES), 65 * 1024 * 1024));
    expect(r.errors).toEqual([`${IMAGES}:1:1: error: ${IMAGES} is 65.0 MB, more than the limit of 64 MB for a catalog file`]);
  });

  it("12 a file where images/<dir>/ belongs is named, not ignored", () => {
    const r = load({ "images/stray.yaml": "- name: x\n" });
    expect(r.warnings).toContain("images/stray.yaml:1:1: warning: images/stray.yaml is not read; only images/<dir>/images.yaml belongs here");
  });
});

describe("near-miss names get a warning naming the name expected", () => {
  it("13 groups.yml", () => {
    const r = load({ "groups/sig-other/groups.yml": groupsFile(stagingGroup("other")) });
    expect(r.warnings).toEqual(["groups/sig-other/groups.yml:1:1: warning: groups/sig-other/groups.yml is not read: the catalog reads groups/sig-other/groups.yaml; rename it"]);
  });

  it("14 images.yml", () => {
    const r = load({ "images/k8s-staging-demo/images.yml": "[]\n" });
    expect(r.warnings).toEqual([
      "images/k8s-staging-demo/images.yml:1:1: warning: images/k8s-staging-demo/images.yml is not read: the catalog reads images/k8s-staging-demo/images.yaml; rename it",
    ]);
  });

  it("15 OWNERS.yaml", () => {
    const r = load({ "images/k8s-staging-demo/OWNERS.yaml": "approvers: [a]\n" });
    expect(r.warnings).toEqual([
      "images/k8s-staging-demo/OWNERS.yaml:1:1: warning: images/k8s-staging-demo/OWNERS.yaml is not read: the catalog reads images/k8s-staging-demo/OWNERS; rename it",
    ]);
  });

  it("16 promoter-manifest.yml", () => {
    const r = load({ "manifests/k8s-staging-demo/promoter-manifest.yml": "registries: []\n" });
    expect(r.warnings).toEqual([
      "manifests/k8s-staging-demo/promoter-manifest.yml:1:1: warning: manifests/k8s-staging-demo/promoter-manifest.yml is not read: the catalog reads manifests/k8s-staging-demo/promoter-manifest.yaml; rename it",
    ]);
  });
});

describe("bounded work: nothing hangs", () => {
  it("17 a billion-laughs file is an error, fast", () => {
    let lol = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 12; i++) lol += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(", ")}]\n`;
    const r = load({ [IMAGES]: lol });
    expect(r.errors).toEqual([`${IMAGES}:3:10: error: more than 100 aliases (*name) are expanded in this file; write the values out instead`]);
    expect(r.ms).toBeLessThan(5_000);
  });

  it("18 a self-referencing alias", () => {
    const r = load({ [IMAGES]: "- &x [*x]\n" });
    expect(r.errors).toEqual([`${IMAGES}:1:7: error: alias *x refers to the value that contains it; remove the alias`]);
  });

  it("19 nesting 70 levels deep (more than 64)", () => {
    const r = load({ [IMAGES]: `${"[".repeat(70)}${"]".repeat(70)}\n` });
    expect(r.errors).toEqual([`${IMAGES}:1:66: error: nesting is more than 64 levels deep; flatten the file`]);
  });

  it("20 nesting 20,000 levels deep, beyond the parser: an error, no crash", () => {
    const r = load({ [IMAGES]: `${"[".repeat(20_000)}${"]".repeat(20_000)}\n` });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(new RegExp(`^${IMAGES}:\\d+:\\d+: error: nesting is deeper than the parser can follow \\(more than 64 levels are never needed\\); flatten the file$`));
  });

  it("21 restrictions use RE2: a lookahead (refused by Go's regexp) is an error", () => {
    const r = load({ "groups/restrictions.yaml": 'restrictions:\n  - path: "sig-demo/groups.yaml"\n    allowedGroups:\n      - "^(?=k8s).*$"\n' });
    expect(r.errors[0]).toBe(
      "groups/restrictions.yaml:4:9: error: allowedGroups pattern \"^(?=k8s).*$\" is not a valid RE2 (Go) regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    );
  });

  it("22 a catastrophic-backtracking pattern matches in linear time", () => {
    const email = `k8s-infra-staging-${"a".repeat(15)}@kubernetes.io`;
    const r = load({
      "infra.yaml": infra("k8s-staging-demo:", `k8s-staging-${"a".repeat(15)}:`),
      [GROUPS]: groupsFile(stagingGroup("demo"), stagingGroup("a".repeat(15))),
      "groups/restrictions.yaml": `restrictions:\n  - path: "sig-demo/groups.yaml"\n    allowedGroups:\n      - "^k8s-infra-staging-demo@kubernetes.io$"\n      - "^(k8s-infra-staging-(a|a)+)+b$"\n`,
    });
    expect(r.errors).toEqual([
      `${GROUPS}:9:15: error: groups/restrictions.yaml does not allow ${email} in groups/sig-demo/groups.yaml; add it there or move the group`,
    ]);
    expect(r.ms).toBeLessThan(5_000);
  });
});

describe("encodings and whitespace", () => {
  it("23 invalid UTF-8 is an error at its line", () => {
    const r = load({}, (root) => fs.writeFileSync(path.join(root, IMAGES), Buffer.concat([Buffer.from("- name: demo\n  dmap: {}\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")])));
    expect(r.errors).toEqual([`${IMAGES}:3:1: error: ${IMAGES} is not valid UTF-8 (byte 0xe9 on line 3); save it as UTF-8`]);
  });

  it("24 a byte-order mark is a warning, and the file is read", () => {
    const r = load({}, (root) => fs.writeFileSync(path.join(root, IMAGES), "\uFEFF" + fs.readFileSync(path.join(root, IMAGES), "utf8")));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([`${IMAGES}:1:1: warning: ${IMAGES} starts with a byte-order mark; save it as UTF-8 without one`]);
    expect(r.result.catalog?.imageSets[0]?.images.map((i) => i.name)).toEqual(["demo"]);
  });

  it("25 a tab in indentation is named", () => {
    const r = load({ [IMAGES]: "- name: demo\n\tdmap: {}\n" });
    expect(r.errors[0]).toMatch(new RegExp(`^${IMAGES}:2:\\d+: error: YAML syntax: .*\\(this line is indented with a tab; YAML indents with spaces\\)$`));
  });
});

describe("messages cannot be forged or garbled", () => {
  const forged = "demo\ninfra.yaml:1:1: error: forged";

  it("26 a newline in a value is printed as \\n: no line looks like a problem of its own", () => {
    const r = load({ [IMAGES]: `- name: "${forged.replace("\n", "\\n")}"\n  dmap: {}\n` });
    expect(r.errors).toEqual([
      `${IMAGES}:1:9: error: image name "demo\\ninfra.yaml:1:1: error: forged" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`,
    ]);
    expect(r.errors.join("\n").split("\n")).toHaveLength(1);
  });

  it("27 ESC, CR and NUL never reach the terminal", () => {
    expect(escapeControl("a\u001b[31mb\rc\u0000d\u2028")).toBe("a\\u001b[31mb\\rc\\u0000d\\u2028");
    const r = load({ [IMAGES]: `- name: "x\\e[2Jy\\r"\n  dmap: {}\n` });
    expect(r.errors[0]).toContain('image name "x\\u001b[2Jy\\r" must be');
  });

  it("28 a folder name with a newline is escaped in the path", () => {
    const r = load({ "images/evil\nname/images.yaml": "- name: Bad\n  dmap: {}\n" });
    expect(r.all.some((l) => l.startsWith("images/evil\\nname/images.yaml:1:9: error: image name \"Bad\""))).toBe(true);
    expect(r.all.every((l) => !l.includes("\n"))).toBe(true);
  });
});

describe("values are data, never code", () => {
  it("29 __proto__ as a key of a project entry is reported at its line", () => {
    const r = load({ "infra.yaml": infra("k8s-staging-demo:", "  __proto__:", "    release: true") });
    expect(r.errors).toEqual(['infra.yaml:6:9: error: key "__proto__" names nothing in a catalog file; remove it']);
  });

  it("30 constructor as a project id is a project id error", () => {
    const r = load({ "infra.yaml": infra("k8s-staging-demo:", "constructor:") });
    expect(r.errors).toContain('infra.yaml:6:7: error: staging project id "constructor" must start with "k8s-staging-" followed by the subproject name');
  });

  it("31 __proto__ as a digest is reported, never lost", () => {
    const r = load({ [IMAGES]: "- name: demo\n  dmap:\n    __proto__: [v1]\n" });
    expect(r.errors).toEqual([`${IMAGES}:3:5: error: key "__proto__" names nothing in a catalog file; remove it`]);
  });
});

describe("no conflict hidden by spelling", () => {
  const withDestinations = (dests: string[]) => ({ [MANIFEST]: manifest("gcr.io/k8s-staging-demo", dests) });

  it("32 a destination ending in / is an error at its line", () => {
    const dests = productionDestinations("demo");
    dests[3] = `${dests[3]}/`;
    const r = load(withDestinations(dests));
    expect(r.errors).toEqual([
      `${MANIFEST}:10:9: error: registry "${dests[3]}" must be a host and path components such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo: lowercase, no trailing "/", no empty, "." or ".." component`,
    ]);
  });

  it("33 a destination with an empty component (//) is an error", () => {
    const dests = productionDestinations("demo");
    dests[0] = dests[0]!.replace("/images/", "/images//");
    const r = load(withDestinations(dests));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(new RegExp(`^${MANIFEST}:4:9: error: registry ".*images//demo" must be a host and path components`));
  });

  const imageNameError = (name: string) =>
    `${IMAGES}:1:9: error: image name "${name}" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`;
  for (const [n, name] of [
    [34, ".."],
    [35, "a/../b"],
    [36, ".hidden"],
    [37, "-x"],
    [38, "_x"],
    [39, "x."],
    [40, "a___b"],
  ] as const) {
    it(`${n} the image name ${name} is refused (OCI distribution rules)`, () => {
      const r = load({ [IMAGES]: `- name: "${name}"\n  dmap:\n    "${DIGEST_A}": [v1]\n` });
      expect(r.errors).toEqual([imageNameError(name)]);
    });
  }

  it("41 OCI names that are fine: a.b, a_b, a__b, a--b, a/b-c", () => {
    for (const name of ["a.b", "a_b", "a__b", "a--b", "a/b-c"]) {
      const r = load({ [IMAGES]: `- name: "${name}"\n  dmap:\n    "${DIGEST_A}": [v1]\n` });
      expect(r.errors, name).toEqual([]);
    }
  });

  it("42 a group named like a staging group but for case is an error, not ignored", () => {
    const r = load({
      [GROUPS]: groupsFile(stagingGroup("demo")) + "  - email-id: K8s-Infra-Staging-Demo2@kubernetes.io\n    name: K8s-Infra-Staging-Demo2\n",
    });
    expect(r.errors).toEqual([
      `${GROUPS}:10:11: error: group K8s-Infra-Staging-Demo2 (K8s-Infra-Staging-Demo2@kubernetes.io) differs from a staging writers group only by case; write its name and email-id in lowercase`,
    ]);
  });
});

describe("the commands: one clear line, the documented exit code, never a stack trace", () => {
  it("43 --help prints the usage and exits 0", () => {
    for (const script of ["validate.ts", "plan.ts", "check-change.ts", "migrate.ts"]) {
      const r = cli(script, ["--help"]);
      expect(r.status, script).toBe(0);
      expect(r.stdout, script).toMatch(/^usage: npm run [a-z-]+ -- /);
    }
  });

  it("44 --catalog= (empty), --catalog FILE and an unknown flag are usage errors (exit 2)", () => {
    const empty = cli("validate.ts", ["--catalog="]);
    expect([empty.status, empty.stderr.split("\n")[0]]).toEqual([2, "error: --catalog needs a value (it is empty)"]);
    const file = cli("validate.ts", ["--catalog", "package.json"]);
    expect([file.status, file.stderr.split("\n")[0]]).toEqual([2, "error: --catalog package.json is a file; it names the catalog's root folder"]);
    const unknown = cli("validate.ts", ["--catalgo", "x"]);
    expect([unknown.status, unknown.stderr.split("\n")[0]]).toEqual([2, "error: unknown flag --catalgo"]);
  });

  it("45 a --diff base that is not JSON, or not a plan, is exit 2 naming what is wrong", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "a.json"), "{not json");
    fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ version: 1, stack: "example", resources: [{ urn: "u", type: "t", name: "n", parent: null, protect: "yes" }] }));
    fs.writeFileSync(path.join(dir, "c.json"), JSON.stringify({ version: 7, stack: "example", resources: [] }));
    const a = cli("plan.ts", ["--diff", path.join(dir, "a.json")]);
    expect(a.status).toBe(2);
    expect(a.stderr.split("\n")[0]).toMatch(/^error: cannot read the base plan .*a\.json: /);
    const b = cli("plan.ts", ["--diff", path.join(dir, "b.json")]);
    expect(b.status).toBe(2);
    expect(b.stderr.split("\n")[0]).toBe(`error: ${path.join(dir, "b.json")} is not a plan written by npm run plan -- --json: resources[0].protect is missing or of the wrong type`);
    const c = cli("plan.ts", ["--diff", path.join(dir, "c.json")]);
    expect([c.status, c.stderr.split("\n")[0]]).toEqual([
      2,
      `error: ${path.join(dir, "c.json")} is a plan file of version 7, not 1; write the base plan again with this version of the program`,
    ]);
    for (const r of [a, b, c]) expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it("46 an output path in a missing folder writes nothing at all (exit 2)", () => {
    const dir = tempDir();
    const r = cli("plan.ts", ["--markdown", path.join(dir, "plan.md"), "--json", path.join(dir, "no/such/plan.json")]);
    expect(r.status).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it("47 check-change takes git's rename and copy lines and a deleted project folder", () => {
    const root = writeTree(baseCatalog());
    const r = cli(
      "check-change.ts",
      [
        "--stack",
        "prod",
        "--catalog",
        root,
        "--files",
        `R100\t${path.join(root, "images/k8s-staging-old/images.yaml")}\t${path.join(root, "images/k8s-staging-demo/images.yaml")}`,
        `C75\t${path.join(root, "manifests/k8s-staging-demo/promoter-manifest.yaml")}\t${path.join(root, "manifests/k8s-staging-copy/promoter-manifest.yaml")}`,
        `D:${path.join(root, "images/k8s-staging-gone/OWNERS")}`,
      ],
    );
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).toBe("4 catalog files changed; 0 rule violations; catalog valid\n");
    expect(r.status).toBe(0);
    // and the rule sees a rename into a manifest's images.yaml as touching it
    expect(checkChangeRules([{ status: "M", path: MANIFEST }, { status: "A", path: IMAGES }], root)).toHaveLength(1);
  });

  it("48 a --files line that is neither git's format nor a path is a usage error", () => {
    const r = cli("check-change.ts", ["--files", "X\ta\tb\tc"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('error: --files entry "X\\ta\\tb\\tc" is not a git --name-status line (STATUS<tab>PATH, or R<score>/C<score><tab>OLD<tab>NEW)');
  });

  it("49 a catalog folder given relative to where npm was run", () => {
    const here = tempDir("cwd-");
    fs.cpSync(path.join(REPO_ROOT, "projects"), path.join(here, "cat"), { recursive: true });
    const r = spawnSync("npm", ["--prefix", REPO_ROOT, "run", "-s", "validate", "--", "--catalog", "cat"], { cwd: here, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("0 errors, 0 warnings\n");
  });
});

describe("the fast reader and the positional reader agree", () => {
  it("50 the same values from both (numbers kept as text, booleans, nulls, quoting, CRLF)", async () => {
    const { YamlFile } = await import("../src/catalog/yaml");
    const { Problems } = await import("../src/catalog/problems");
    const text = [
      "a: 1.10",
      "b: 010",
      "c: true",
      "d: False",
      "e: ~",
      "f:",
      'g: "3"',
      "h: [v1.0, 'x y', -rc1, .inf]",
      "i: {j: null, k: yes}",
      "l: |",
      "  two",
      "  lines",
      "",
    ].join("\r\n");
    const fast = new YamlFile("f.yaml", text, new Problems());
    // A comment holding " &x" sends the same content through the positional reader.
    const positional = new YamlFile("f.yaml", `${text}# &x\r\n`, new Problems());
    expect(fast.value).toEqual(positional.value);
    expect(fast.value).toEqual({ a: "1.10", b: "010", c: true, d: false, e: null, f: null, g: "3", h: ["v1.0", "x y", "-rc1", ".inf"], i: { j: null, k: "yes" }, l: "two\nlines\n" });
    expect(fast.at(["h", 2])).toEqual({ line: 8, col: 18 });
  });

  it("51 validate on a catalog full of hostile files: exit 1, every problem named, no stack trace, no hang", () => {
    const root = writeTree({ ...baseCatalog(), "images/k8s-staging-demo/images.yml": "[]\n" });
    fs.rmSync(path.join(root, IMAGES));
    execFileSync("mkfifo", [path.join(root, IMAGES)]);
    fs.symlinkSync("..", path.join(root, "groups/sig-demo/up"));
    fs.writeFileSync(path.join(root, "groups/restrictions.yaml"), Buffer.from([0x72, 0x3a, 0xff, 0x0a]));
    const t0 = Date.now();
    const r = cli("validate.ts", ["--stack", "prod", "--catalog", root]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines).toEqual([
      "groups/restrictions.yaml:1:1: error: groups/restrictions.yaml is not valid UTF-8 (byte 0xff on line 1); save it as UTF-8",
      "groups/sig-demo/up:1:1: error: groups/sig-demo/up links back to a folder above it; remove the link",
      `${IMAGES}:1:1: error: ${IMAGES} is a named pipe (FIFO), not a regular file`,
      "images/k8s-staging-demo/images.yml:1:1: warning: images/k8s-staging-demo/images.yml is not read: the catalog reads images/k8s-staging-demo/images.yaml; rename it",
    ]);
  });
});

describe("what the hostile review found", () => {
  it("52 an escaped __proto__ key is reported, not dropped", () => {
    const r = load({ [IMAGES]: `- name: demo\n  dmap:\n    "\\x5f_proto__": [v1]\n    "${DIGEST_A}": [v1.0.0]\n` });
    expect(r.errors).toEqual([`${IMAGES}:3:5: error: key "__proto__" names nothing in a catalog file; remove it`]);
  });

  it("53 constructor, toString and hasOwnProperty are ordinary names (repositories, files)", () => {
    const r = load({
      "infra.yaml": infra("k8s-staging-demo:", "k8s-staging-images:", "  repositories:", "    constructor:", "      writers: k8s-infra-staging-demo@kubernetes.io"),
      "images/k8s-staging-demo/toString": "x\n",
    });
    expect(r.errors).toEqual([]);
    expect(r.result.catalog?.projects.find((p) => p.id === "k8s-staging-images")).toMatchObject({ repositories: [{ name: "constructor", location: "us-central1" }] });
  });

  it("54 a * or & in a comment changes neither the values nor the reader", async () => {
    const { YamlFile } = await import("../src/catalog/yaml");
    const { Problems } = await import("../src/catalog/problems");
    const text = "# see *release-notes* and &refs\n- name: demo\n  dmap: {}\n";
    expect(new YamlFile("f.yaml", text, new Problems()).value).toEqual([{ name: "demo", dmap: {} }]);
  });

  it("55 a %YAML 1.1 directive (yes/no/on as booleans) is an error at its line", () => {
    const r = load({ [IMAGES]: "%YAML 1.1\n---\n- name: demo\n  dmap: {}\n" });
    expect(r.errors).toEqual([`${IMAGES}:1:1: error: "%YAML 1.1" asks for YAML 1.1 (yes/no/on as booleans); catalog files are YAML 1.2: remove the line`]);
  });

  it("56 lone CR line breaks: problems at the right line", () => {
    const r = load({ [IMAGES]: `- name: demo\r  dmap:\r    "${DIGEST_A}": ["-bad"]\r` });
    expect(r.errors).toEqual([`${IMAGES}:3:81: error: tag "-bad" must start with a letter, digit or underscore`]);
  });

  it("57 many errors in one large mapping stay linear", () => {
    const lines = ["- name: demo", "  dmap:"];
    for (let i = 0; i < 20_000; i++) lines.push(`    "sha256:${i.toString(16).padStart(64, "A")}": [v${i}]`);
    const t0 = performance.now();
    const r = load({ [IMAGES]: lines.join("\n") + "\n" });
    expect(r.errors).toHaveLength(20_000);
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it("58 case variants of the names the catalog reads are warned (Groups.yaml, OWNERS.md)", () => {
    const r = load({ "groups/sig-x/Groups.yaml": "groups: []\n", "images/k8s-staging-demo/OWNERS.md": "x\n" });
    expect(r.warnings).toEqual([
      "groups/sig-x/Groups.yaml:1:1: warning: groups/sig-x/Groups.yaml is not read: the catalog reads groups/sig-x/groups.yaml; rename it",
      "images/k8s-staging-demo/OWNERS.md:1:1: warning: images/k8s-staging-demo/OWNERS.md is not read: the catalog reads images/k8s-staging-demo/OWNERS; rename it",
    ]);
  });

  it("59 the same file for --json and --markdown, or '-', is a usage error and nothing is written", () => {
    const dir = tempDir();
    const same = path.join(dir, "same");
    const r = cli("plan.ts", ["--json", same, "--markdown", same]);
    expect([r.status, r.stderr.split("\n").find((l) => l.startsWith("error:"))]).toEqual([2, `error: ${same} is named for two outputs; give each its own file`]);
    expect(fs.readdirSync(dir)).toEqual([]);
    const dash = cli("plan.ts", ["--json", "-"]);
    expect(dash.status).toBe(2);
    expect(dash.stderr).not.toMatch(STACK_TRACE);
  });

  it("60 control characters in a value or a base plan's names are escaped in the diff and the markdown", () => {
    const dir = tempDir();
    const base = path.join(dir, "base.json");
    fs.writeFileSync(
      base,
      JSON.stringify({
        version: 1,
        stack: "example",
        resources: [{ urn: "urn:x", type: "gcp:storage/bucket:Bucket", name: "\u001b[2J\nk8s-staging-fake: error: forged", parent: null, protect: false, retainOnDelete: false, dependsOn: [], inputs: { d: "a\u009bb\u2028" } }],
      }),
    );
    const md = path.join(dir, "plan.md");
    const r = cli("plan.ts", ["--diff", base, "--markdown", md]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u009b\u2028]/);
    expect(r.stdout.split("\n").some((l) => l.startsWith("k8s-staging-fake: error: forged"))).toBe(false);
    expect(r.stdout).toContain("\\u001b[2J\\nk8s-staging-fake: error: forged");
    expect(fs.readFileSync(md, "utf8")).not.toMatch(/[\u001b\u009b\u2028]/);
  });

  it("61 an unknown stack is a usage error; a base plan with a URN twice is refused", () => {
    const r = cli("validate.ts", ["--stack", "nosuch"]);
    expect(r.status).toBe(2);
    const base = path.join(tempDir(), "dup.json");
    const res = { urn: "u", type: "t", name: "n", parent: null, protect: false, retainOnDelete: false, dependsOn: [], inputs: {} };
    fs.writeFileSync(base, JSON.stringify({ version: 1, stack: "example", resources: [res, res] }));
    const d = cli("plan.ts", ["--diff", base]);
    expect([d.status, d.stderr.split("\n")[0]]).toEqual([2, `error: ${base} lists resources[1].urn u twice; it is not a plan written by npm run plan -- --json`]);
  });

  it("62 migrate names a dangling .tf link instead of crashing", () => {
    const dir = tempDir("tf-");
    fs.copyFileSync(path.join(REPO_ROOT, "../shared/k8sio-sample/infra/gcp/terraform/k8s-staging-images/main.tf"), path.join(dir, "main.tf"));
    fs.symlinkSync("/nonexistent", path.join(dir, "dangling.tf"));
    const r = cli("migrate.ts", ["--terraform", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr).toContain("dangling.tf:1:1: error: dangling.tf cannot be read (a dangling symbolic link)");
  });
});
