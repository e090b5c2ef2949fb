// The engine's shape, read from the imports in its sources (no server): folders by phase that never
// import each other in a loop, type imports included; basics at the top level that import no folder;
// folders that import no orchestrator; adapters that reach the engine through src/engine/index.ts only.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ENGINE = 'src/engine';
const BASICS = new Set(['ident.ts', 'errors.ts', 'sqlState.ts', 'events.ts', 'version.ts']);
const ADAPTERS = ['src/cli', 'src/vscode', 'src/extension.ts', 'src/reportPage.ts', 'bench'];

const filesUnder = (path: string): string[] =>
  !existsSync(path)
    ? []
    : statSync(path).isDirectory()
      ? readdirSync(path).flatMap((f) => filesUnder(join(path, f)))
      : /\.(ts|mts|mjs)$/.test(path)
        ? [path]
        : [];

/** The files of this repository a source names (import, export … from, import()), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const named = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return named.map((s) => relative('.', resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** An engine file's place: its folder, or the file itself at the top level. */
const placeOf = (file: string): string => {
  const inside = relative(ENGINE, file);
  const [first, ...rest] = inside.split('/');
  return rest.length ? `${first}/` : first;
};

/** Which places import which (a place's own imports left out). */
function placeGraph(files: string[], imports: (f: string) => string[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const from = placeOf(f);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const to of imports(f)
      .filter((i) => i.startsWith(`${ENGINE}/`))
      .map(placeOf))
      if (to !== from) graph.get(from)!.add(to);
  }
  return graph;
}

/** A loop of places (first place repeated at its end), or null when the graph has none. */
function loopIn(graph: Map<string, Set<string>>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (p: string): string[] | null => {
    const at = path.indexOf(p);
    if (at >= 0) return [...path.slice(at), p];
    if (done.has(p)) return null;
    path.push(p);
    for (const next of graph.get(p) ?? []) {
      const loop = visit(next);
      if (loop) return loop;
    }
    path.pop();
    done.add(p);
    return null;
  };
  for (const p of graph.keys()) {
    const loop = visit(p);
    if (loop) return loop;
  }
  return null;
}

const isFolder = (place: string) => place.endsWith('/');
const engineFiles = filesUnder(ENGINE);
const engineGraph = placeGraph(engineFiles, importsOf);
const folderGraph = new Map(
  [...engineGraph].filter(([p]) => isFolder(p)).map(([p, to]) => [p, new Set([...to].filter(isFolder))]),
);

describe('the engine in folders by phase', () => {
  it('has folders, and no two of them import each other, directly or around a loop', () => {
    assert.ok(folderGraph.size >= 8, `folders found: ${[...folderGraph.keys()].join(', ')}`);
    assert.equal(loopIn(folderGraph)?.join(' -> ') ?? null, null);
  });

  it('keeps its basics (ident, errors, sqlState, events, version) free of any folder or orchestrator', () => {
    for (const basic of BASICS) {
      const wrong = [...(engineGraph.get(basic) ?? [])].filter((to) => !BASICS.has(to));
      assert.deepEqual(wrong, [], `${basic} imports ${wrong.join(', ')}`);
    }
  });

  it('lets a folder import other folders and the basics, never an orchestrator above it', () => {
    for (const [place, to] of engineGraph) {
      if (!isFolder(place)) continue;
      const wrong = [...to].filter((t) => !isFolder(t) && !BASICS.has(t));
      assert.deepEqual(wrong, [], `${place} imports ${wrong.join(', ')}`);
    }
  });

  it('is reached by the adapters through src/engine/index.ts only', () => {
    const adapterFiles = ADAPTERS.flatMap(filesUnder);
    assert.ok(adapterFiles.length > 20);
    const wrong = adapterFiles.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith(`${ENGINE}/`) && i !== `${ENGINE}/index.ts`)
        .map((i) => `${f} -> ${i}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('finds a loop of folders where there is one, type imports counted', () => {
    const files = [`${ENGINE}/a/x.ts`, `${ENGINE}/b/y.ts`, `${ENGINE}/c/z.ts`, `${ENGINE}/a/w.ts`];
    const imports: Record<string, string[]> = {
      [files[0]]: [`${ENGINE}/b/y.ts`],
      [files[1]]: [`${ENGINE}/c/z.ts`, `${ENGINE}/errors.ts`],
      [files[2]]: [`${ENGINE}/a/w.ts`],
      [files[3]]: [],
    };
    const graph = placeGraph(files, (f) => imports[f]);
    assert.deepEqual(loopIn(graph), ['a/', 'b/', 'c/', 'a/']);
    imports[files[2]] = [];
    assert.equal(loopIn(placeGraph(files, (f) => imports[f])), null);
    const typed = `${ENGINE}/verify/verify.ts`;
    assert.ok(importsOf(typed).includes(`${ENGINE}/plan/plan.ts`), 'a type-only import is read as an import');
  });
});
