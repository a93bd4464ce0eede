import * as fs from "node:fs";
import { buildEstate } from "../estate/estate";
import { PLAN_FILE_VERSION, toPlan, type Plan } from "../estate/plan";
import { diffPlans } from "../review/diff";
import { renderListing } from "../review/listing";
import { COMMENT_LIMIT, renderMarkdown } from "../review/markdown";
import { renderDiff } from "../review/render-diff";
import { styleFor } from "../review/style";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, UsageError, writeOutputs } from "./common";

const USAGE = "npm run plan -- [--catalog DIR] [--stack NAME] [--json FILE] [--diff BASE.json] [--markdown FILE [--markdown-limit CHARS]]";

function readPlan(file: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read the base plan ${file}: ${(e as Error).message}`);
  }
  const plan = data as Partial<Plan> & { version?: unknown };
  if (typeof plan?.stack !== "string" || !Array.isArray(plan.resources)) {
    throw new UsageError(`${file} is not a plan written by npm run plan -- --json`);
  }
  const urns = new Set<unknown>();
  for (const [i, r] of (plan.resources as { urn?: unknown }[]).entries()) {
    if (r !== null && typeof r === "object" && urns.has(r.urn)) throw new UsageError(`${file} lists resources[${i}].urn ${String(r.urn)} twice; it is not a plan written by npm run plan -- --json`);
    if (r !== null && typeof r === "object") urns.add(r.urn);
  }
  if (plan.version !== PLAN_FILE_VERSION)
    throw new UsageError(`${file} is a plan file of version ${JSON.stringify(plan.version ?? "none")}, not ${PLAN_FILE_VERSION}; write the base plan again with this version of the program`);
  delete plan.version;
  plan.resources.forEach((r: unknown, i) => {
    const x = r as Partial<Record<keyof Plan["resources"][number], unknown>> | null;
    const bad = (field: string) => new UsageError(`${file} is not a plan written by npm run plan -- --json: resources[${i}].${field} is missing or of the wrong type`);
    if (x === null || typeof x !== "object") throw bad("(the resource)");
    for (const field of ["urn", "type", "name"] as const) if (typeof x[field] !== "string") throw bad(field);
    if (x.parent !== null && typeof x.parent !== "string") throw bad("parent");
    for (const field of ["protect", "retainOnDelete"] as const) if (typeof x[field] !== "boolean") throw bad(field);
    if (!Array.isArray(x.dependsOn) || !x.dependsOn.every((d) => typeof d === "string")) throw bad("dependsOn");
    if (x.inputs === null || typeof x.inputs !== "object" || Array.isArray(x.inputs)) throw bad("inputs");
  });
  return plan as Plan;
}

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack", "json", "diff", "markdown", "markdown-limit"] });
  // The size the markdown must stay within: a comment's limit, less what is posted beside it (presubmit's checks and promotions).
  const limitText = flags.values.get("markdown-limit");
  if (limitText !== undefined && !/^[0-9]{1,9}$/.test(limitText)) throw new UsageError(`--markdown-limit ${limitText} is not a number of characters`);
  const limit = limitText === undefined ? COMMENT_LIMIT : Math.min(COMMENT_LIMIT, Math.max(2_000, Number(limitText)));
  const basePath = flags.values.get("diff");
  const base = basePath ? readPlan(basePath) : undefined;
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; nothing is planned\n");
    return EXIT.errors;
  }
  if (base && base.stack !== stack) {
    throw new UsageError(`${basePath} is a plan of stack ${base.stack}, not ${stack}; compare plans of the same stack`);
  }
  const estate = buildEstate(result.catalog, config, stack);
  const plan = toPlan(estate);
  const style = styleFor(process.stdout);

  const jsonOut = flags.values.get("json");
  const diff = diffPlans(base ?? { stack, resources: [] }, plan);
  const mdOut = flags.values.get("markdown");
  const outputs: { file: string; text: string }[] = [];
  if (jsonOut) outputs.push({ file: jsonOut, text: JSON.stringify({ version: PLAN_FILE_VERSION, ...plan }, null, 1) + "\n" });
  if (mdOut) {
    const title = base ? `Staging estate: changes on stack ${stack}` : `Staging estate: full plan of stack ${stack}`;
    outputs.push({ file: mdOut, text: renderMarkdown(diff, title, limit) });
  }
  writeOutputs(outputs);

  if (base) process.stdout.write(renderDiff(diff, style));
  else if (!jsonOut) process.stdout.write(renderListing(estate, style));
  else process.stdout.write(`${plan.resources.length} resources in ${estate.projects.length} staging projects written to ${jsonOut}\n`);
  return base && diff.protectedDeletes.length > 0 ? EXIT.protectedDelete : EXIT.ok;
});
