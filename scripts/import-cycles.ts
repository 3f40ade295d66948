/**
 * The import graph of src/ and its cycles: every relative `import`/`export … from`/`import()`
 * of every .ts/.tsx file (type-only imports included: a cycle of types is still two modules
 * that cannot be understood, tested or moved apart), resolved as TypeScript resolves them
 * (`x.js` is `x.ts`, a folder is its index). A cycle is a strongly connected component of two
 * or more files, or a file that imports itself.
 *
 * `node scripts/run-ts.mjs scripts/import-cycles.ts [DIR]` prints them (exit 1 when there is
 * one), and the cycles of the imports a build keeps (no `import type`) after them;
 * tests/unit/import-cycles.test.ts fails on either.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** file → the files of the same tree it imports (absolute paths). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** A relative specifier as the file it names, or undefined (outside the tree, or not a source file). */
function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')];
  return candidates.find((c) => /\.tsx?$/.test(c) && existsSync(c) && statSync(c).isFile());
}

/** A file's relative imports: `import`, `export … from`, `import()`; with `runtime`, those a build keeps (not `import type`). */
function importsOf(file: string, runtime: boolean): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const typeOnlyImport = (n: ts.ImportDeclaration): boolean => {
    const c = n.importClause;
    if (!c) return false;
    if (c.isTypeOnly) return true;
    const named = c.namedBindings;
    return !c.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
  };
  const typeOnlyExport = (n: ts.ExportDeclaration): boolean => n.isTypeOnly || (n.exportClause !== undefined && ts.isNamedExports(n.exportClause) && n.exportClause.elements.length > 0 && n.exportClause.elements.every((e) => e.isTypeOnly));
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      if (!(runtime && typeOnlyImport(n))) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      if (!(runtime && typeOnlyExport(n))) out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push(n.arguments[0].text);
    } else if (!runtime && ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

/** The import graph of every source file under `root`; `runtime`: only the imports a build keeps. */
export function importGraph(root: string, { runtime = false }: { runtime?: boolean } = {}): ImportGraph {
  const graph = new Map<string, string[]>();
  const files = sourceFiles(root);
  const inTree = new Set(files);
  for (const f of files) {
    const deps = importsOf(f, runtime)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(f, s))
      .filter((d): d is string => d !== undefined && inTree.has(d));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** The cycles of a graph (Tarjan's strongly connected components), each sorted, files relative to `root`. */
export function cyclesOf(graph: ImportGraph, root: string): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((f) => path.relative(root, f)).sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const isMain = process.argv[1] !== undefined && /import-cycles\.ts$/.test(process.argv[1]);
if (isMain) {
  const root = path.resolve(process.argv[2] ?? 'src');
  const cycles = cyclesOf(importGraph(root), root);
  const runtime = cyclesOf(importGraph(root, { runtime: true }), root);
  for (const c of cycles) process.stdout.write(`cycle of ${c.length}: ${c.join(' ')}\n`);
  for (const c of runtime) process.stdout.write(`runtime cycle of ${c.length}: ${c.join(' ')}\n`);
  process.stdout.write(`${cycles.length} import cycle(s), ${runtime.length} without type imports, under ${root}\n`);
  process.exitCode = cycles.length ? 1 : 0;
}
