import * as fs from "node:fs";
import { buildEstate } from "../estate/estate";
import { toPlan } from "../estate/plan";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand } from "./common";

const USAGE = "npm run plan -- [--catalog DIR] [--stack NAME] [--json FILE]";

runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack", "json"] });
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; nothing is planned\n");
    return EXIT.errors;
  }
  const estate = buildEstate(result.catalog, config, stack);
  const plan = toPlan(estate);
  const out = flags.values.get("json");
  if (out) {
    fs.writeFileSync(out, JSON.stringify(plan, null, 1) + "\n");
    process.stdout.write(`${plan.resources.length} resources in ${estate.projects.length} staging projects written to ${out}\n`);
  } else {
    process.stdout.write(`${plan.resources.length} resources in ${estate.projects.length} staging projects\n`);
  }
  return EXIT.ok;
});
