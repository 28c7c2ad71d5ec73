import { analyze } from '../../config/analysis/analyze.js';
import { compareDiagnostics, type Diagnostic, formatDiagnostic } from '../../config/diagnostic.js';
import { loadPaths } from '../../config/load.js';
import { isSuppressed, parseSuppression, type Suppression } from '../../config/suppress.js';
import type { SkeinCommand } from './command.js';

interface AnalyzeOptions {
  output: string;
  suppress: string[];
  namespace: string;
}

export const analyzeCommand: SkeinCommand = {
  name: 'analyze',
  kind: 'operator',
  summary: 'validate and analyze Istio / Gateway API config files, as istioctl analyze',
  register(program) {
    program
      .command(this.name)
      .description(`${this.summary}; exit status 1 when an error is found`)
      .argument('<paths...>', 'YAML/JSON files or directories (read recursively)')
      .option('-o, --output <format>', 'log or json', 'log')
      .option(
        '-S, --suppress <code=resource>',
        'suppress a message code on a resource, e.g. "IST0101=VirtualService reviews.default" (* matches anything); repeatable',
        (value: string, previous: string[]) => [...previous, value],
        [] as string[],
      )
      .option('-n, --namespace <namespace>', 'namespace of resources that name none', 'default')
      .action((paths: string[], options: AnalyzeOptions) => {
        process.exitCode = runAnalyze(paths, options);
      });
  },
};

function summary(diagnostics: readonly Diagnostic[], files: number): string {
  const count = (level: Diagnostic['level']): number => diagnostics.filter((d) => d.level === level).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (diagnostics.length === 0) return `\u2714 No validation issues found when analyzing ${plural(files, 'file')}.`;
  return `Found ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')} and ${plural(count('info'), 'info message')} in ${plural(files, 'file')}.`;
}

function runAnalyze(paths: readonly string[], options: AnalyzeOptions): number {
  if (options.output !== 'log' && options.output !== 'json') {
    process.stderr.write(`skein analyze: unknown output format "${options.output}" (log or json)\n`);
    return 2;
  }
  const suppressions: Suppression[] = [];
  for (const text of options.suppress) {
    const parsed = parseSuppression(text);
    if (typeof parsed === 'string') {
      process.stderr.write(`skein analyze: ${parsed}\n`);
      return 2;
    }
    suppressions.push(parsed);
  }
  const loaded = loadPaths(paths, { defaultNamespace: options.namespace });
  const diagnostics = [...loaded.diagnostics, ...analyze(loaded.resources)]
    .filter((d) => !isSuppressed(d, suppressions))
    .sort(compareDiagnostics);
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(diagnostics, null, 2)}\n`);
  } else {
    for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    process.stdout.write(`${summary(diagnostics, loaded.files.length)}\n`);
  }
  return diagnostics.some((d) => d.level === 'error') ? 1 : 0;
}
