import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeControl } from "../catalog/problems";
import { parse } from "yaml";
import type { Layout } from "../catalog/layout";
import type { Manifest } from "../catalog/model";
import { checkChangeRules, imagesFilePattern, type TouchedFile } from "../review/change-rules";
import { productionRegions, renderPromotions, reviewPromotions, type ImagesChange } from "../review/promotions";
import { policyOf } from "../config";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, UsageError, writeOutputs } from "./common";

const USAGE = "npm run check-change -- (--base REF [--markdown FILE] | --files [A:|M:|D:]PATH...) [--catalog DIR] [--stack NAME]";

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new UsageError(`git ${args.join(" ")} failed: ${String((e as { stderr?: string }).stderr ?? e).trim()}`);
  }
}

/** The real path of `file`, or of its nearest existing folder joined with the rest (a deleted file's folder may be gone too). */
function realOrNearest(file: string): string {
  let dir = path.resolve(file);
  const rest: string[] = [];
  while (!fs.existsSync(dir)) {
    rest.unshift(path.basename(dir));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.join(fs.realpathSync(dir), ...rest);
}

/** Files the change touches, relative to the catalog folder; files outside it are not the catalog's. */
function touchedFiles(flags: ReturnType<typeof parseFlags>, catalogDir: string): TouchedFile[] {
  const base = flags.values.get("base");
  const listed = flags.lists.get("files");
  if ((base === undefined) === (listed === undefined)) throw new UsageError("give exactly one of --base REF or --files PATH...");
  // git answers with real paths: compare real paths, or a symlinked checkout would hide every change.
  const root = fs.realpathSync(catalogDir);
  const top = base !== undefined ? fs.realpathSync(git(catalogDir, ["rev-parse", "--show-toplevel"]).trim()) : process.cwd();
  const raw: { status: string; path: string }[] = [];
  if (base !== undefined) {
    // -z: paths exactly as they are (git quotes unusual names otherwise), NUL-separated status/path pairs.
    const fields = git(top, ["diff", "-z", "--name-status", "--no-renames", `${base}...HEAD`]).split("\0");
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i]!;
      const file = fields[i + 1]!;
      if (!status) continue;
      // T (a file turned into a link or back) changes the file as much as M.
      raw.push({ status: status.charAt(0) === "T" ? "M" : status.charAt(0), path: path.join(top, file) });
    }
  } else {
    for (const item of listed!) {
      // git diff --name-status lines (tab-separated, renames and copies with a score), or [A:|M:|D:]PATH.
      const tabbed = item.split("\t");
      const rename = /^([RC])[0-9]{0,3}$/.exec(tabbed[0]!);
      if (rename && tabbed.length === 3) {
        if (rename[1] === "R") raw.push({ status: "D", path: realOrNearest(tabbed[1]!) });
        raw.push({ status: "A", path: realOrNearest(tabbed[2]!) });
        continue;
      }
      if (/^[AMD]$/.test(tabbed[0]!) && tabbed.length === 2) {
        raw.push({ status: tabbed[0]!, path: realOrNearest(tabbed[1]!) });
        continue;
      }
      if (tabbed.length > 1) throw new UsageError(`--files entry "${item}" is not a git --name-status line (STATUS<tab>PATH, or R<score>/C<score><tab>OLD<tab>NEW)`);
      const m = /^([AMD]):(.*)$/.exec(item);
      raw.push({ status: m ? m[1]! : "M", path: realOrNearest(m ? m[2]! : item) });
    }
  }
  const files = raw.map((f) => ({ status: f.status as TouchedFile["status"], path: path.relative(root, f.path).split(path.sep).join("/") }));
  // Named by hand, a path outside the catalog is a mistake worth a line; from git, it is just another part of the repository.
  if (listed !== undefined) {
    for (const f of files) if (f.path.startsWith("..")) process.stderr.write(escapeControl(`note: ${path.resolve(root, f.path)} is outside the catalog ${root}; not counted`) + "\n");
  }
  return files.filter((f) => !f.path.startsWith("..") && ["A", "M", "D"].includes(f.status));
}

/**
 * Each changed images.yaml as it was where the branch left `base` (the merge base, as
 * `git diff base...HEAD` compares) and as it is in the catalog folder.
 */
function imagesChanges(files: TouchedFile[], catalogDir: string, layout: Layout, base: string): ImagesChange[] {
  const IMAGES = imagesFilePattern(layout);
  const root = fs.realpathSync(catalogDir);
  const top = fs.realpathSync(git(catalogDir, ["rev-parse", "--show-toplevel"]).trim());
  const from = git(top, ["merge-base", base, "HEAD"]).trim();
  const changes: ImagesChange[] = [];
  for (const f of files) {
    const m = IMAGES.exec(f.path);
    if (!m) continue;
    const inRepo = path.relative(top, path.join(root, f.path)).split(path.sep).join("/");
    let before: string | undefined;
    if (f.status !== "A") {
      try {
        before = execFileSync("git", ["show", `${from}:${inRepo}`], { cwd: top, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
      } catch {
        before = undefined;
      }
    }
    const file = path.join(root, f.path);
    const after = f.status !== "D" && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    changes.push({ dir: m[1]!, file: f.path, base: before, head: after });
  }
  return changes;
}

/** The destinations each dir's promoter manifest lists, read as plain YAML (for a head that does not validate). */
function rawManifests(catalogDir: string, layout: Layout, dirs: string[]): Manifest[] {
  return [...new Set(dirs)].flatMap((dir) => {
    try {
      const data = parse(fs.readFileSync(path.join(catalogDir, layout.manifests, dir, "promoter-manifest.yaml"), "utf8")) as { registries?: { name?: unknown; src?: unknown }[] };
      const destinations = (data?.registries ?? []).flatMap((r) => (r && r.src !== true && typeof r.name === "string" ? [r.name] : []));
      return [{ dir, source: "", destinations }];
    } catch {
      return [];
    }
  });
}

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["base", "catalog", "stack", "markdown"], lists: ["files"] });
  const base = flags.values.get("base");
  const mdOut = flags.values.get("markdown");
  if (mdOut !== undefined && base === undefined) throw new UsageError("--markdown needs --base REF: the promotions are what the head adds to the base");
  const { stack, config, catalogDir, layout, result } = loadForCommand(flags);
  const files = touchedFiles(flags, catalogDir);
  const violations = checkChangeRules(files, catalogDir, layout);
  for (const v of violations) process.stderr.write(escapeControl(`error: ${v.files.join(", ")}: ${v.rule}`) + "\n");
  printProblems(result.problems);
  if (!result.catalog) process.stderr.write(`error: the catalog at HEAD does not validate (${countLine(result.problems)})\n`);
  // The promotion review: what each changed images.yaml does to production, against the base.
  const review = base !== undefined ? reviewPromotions(imagesChanges(files, catalogDir, layout, base)) : undefined;
  const reviewed = review?.problems.sorted() ?? [];
  printProblems(reviewed);
  if (mdOut !== undefined) {
    // The catalog's manifests; when the head does not validate, the destinations as the manifest files list them.
    const manifests = result.catalog?.manifests ?? rawManifests(catalogDir, layout, review!.promotions.map((p) => p.dir));
    const regions = productionRegions({ manifests }, policyOf(config, stack));
    writeOutputs([{ file: mdOut, text: renderPromotions(review!.promotions, regions) }]);
  }
  const failed = violations.length + (result.catalog ? 0 : 1) + (review?.problems.errorCount ?? 0);
  const reviewText = reviewed.length ? `; promotion review: ${countLine(reviewed)}` : "";
  process.stdout.write(
    `${files.length} catalog file${files.length === 1 ? "" : "s"} changed; ${violations.length} rule violation${violations.length === 1 ? "" : "s"}${reviewText}; catalog ${result.catalog ? "valid" : "invalid"}\n`,
  );
  return failed ? EXIT.errors : EXIT.ok;
});
