import { accessOf, findRegistry, knownMember, memberEmail, memberReach, reachReport, registryReport } from "../estate/access";
import { buildEstate } from "../estate/estate";
import { toPlan } from "../estate/plan";
import { guardResources } from "../policy/offline";
import { escapeControl } from "../catalog/problems";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, UsageError } from "./common";

const USAGE = "npm run access -- [--catalog DIR] [--stack NAME] (--registry ADDRESS | --member EMAIL)";

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack", "registry", "member"] });
  const registryArg = flags.values.get("registry");
  const memberArg = flags.values.get("member");
  if ((registryArg === undefined) === (memberArg === undefined)) throw new UsageError("give exactly one of --registry ADDRESS or --member EMAIL");
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; access is not computed\n");
    return EXIT.errors;
  }
  const access = accessOf(guardResources(toPlan(buildEstate(result.catalog, config, stack))), result.catalog);
  const out = (lines: string[]) => process.stdout.write(lines.map(escapeControl).join("\n") + "\n");
  if (registryArg !== undefined) {
    const registry = findRegistry(access, registryArg);
    if (!registry) {
      const some = access.registries.slice(0, 3).map((r) => r.address);
      out([`${registryArg} is not a repository of stack ${stack}; give one of its ${access.registries.length} repository addresses, e.g. ${some.join(", ")}`]);
      return EXIT.errors;
    }
    const lines = registryReport(access, registry);
    out(lines.length > 0 ? lines : [`no one can push to ${registry.address}`]);
    return EXIT.ok;
  }
  const email = memberEmail(memberArg!);
  if (!knownMember(access, email)) {
    out([`${memberArg} is in no grant or group of stack ${stack}; give the email of a user, group or service account the catalog names`]);
    return EXIT.errors;
  }
  const reach = memberReach(access, email);
  out(reach.length > 0 ? reachReport(reach) : [`${email} can push to no repository of stack ${stack}`]);
  return EXIT.ok;
});
