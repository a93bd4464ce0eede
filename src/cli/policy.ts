import { buildEstate } from "../estate/estate";
import { toPlan } from "../estate/plan";
import { guardResources } from "../policy/offline";
import { evaluate, guardContext } from "../policy/rules";
import { escapeControl } from "../catalog/problems";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder } from "./common";

const USAGE = "npm run policy -- [--catalog DIR] [--stack NAME]";

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack"] });
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; the policy is not checked\n");
    return EXIT.errors;
  }
  const plan = toPlan(buildEstate(result.catalog, config, stack));
  const violations = evaluate(guardResources(plan), guardContext(result.catalog, config));
  for (const v of violations) process.stdout.write(escapeControl(`${v.name} (${v.type}): ${v.rule}: ${v.message}`) + "\n");
  const rules = new Set(violations.map((v) => v.rule)).size;
  process.stdout.write(
    violations.length === 0
      ? `policy: ${plan.resources.length} resources of stack ${stack}, no violation\n`
      : `policy: ${violations.length} violation${violations.length === 1 ? "" : "s"} of ${rules} rule${rules === 1 ? "" : "s"} in ${plan.resources.length} resources of stack ${stack}\n`,
  );
  return violations.length > 0 ? EXIT.policyViolation : EXIT.ok;
});
