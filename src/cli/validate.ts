import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder } from "./common";

const USAGE = "npm run validate -- [--catalog DIR] [--stack NAME]";

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack"] });
  const { result } = loadForCommand(flags);
  printProblems(result.problems);
  process.stdout.write(countLine(result.problems) + "\n");
  return result.catalog ? EXIT.ok : EXIT.errors;
});
