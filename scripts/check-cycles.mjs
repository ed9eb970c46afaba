// Finds import cycles among the project's TypeScript sources (cli/ and agent/), and imports that point
// the wrong way between layers (LAYERS below): static imports, `import type`, re-exports and dynamic
// import() all count, since each ties one module's meaning to another's. Prints each cycle (its
// modules, one strongly connected set) and each wrong-way import, and exits 1 if there is any.
// Usage: node scripts/check-cycles.mjs [root]
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The project files a module imports (relative specifiers only; `x.js` is the source `x.ts`). */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.')).map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
}

/** Tarjan's strongly connected components with more than one module (or a module importing itself). */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node)) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Whether `file` is inside the project folder `dir` (`cli/transport`). */
function within(file, dir) {
  return relative(join(root, dir), file).split(sep)[0] !== '..';
}

/** Which way imports may point: the modules a rule holds for, and which project modules they may import (node builtins and npm packages always). */
const LAYERS = [
  { rule: 'agent/ never imports cli/', holdsFor: (file) => within(file, 'agent'), mayImport: (to) => !within(to, 'cli') },
  {
    rule: 'cli/transport/ imports only cli/transport/ and agent/protocol/ leaves',
    holdsFor: (file) => within(file, 'cli/transport'),
    mayImport: (to, graph) => within(to, 'cli/transport') || (within(to, 'agent/protocol') && graph.get(to)?.length === 0),
  },
];

/** Every import that breaks a rule of LAYERS, as `{ rule, from, to }`. */
function wrongWay(graph) {
  return LAYERS.flatMap(({ rule, holdsFor, mayImport }) =>
    [...graph].filter(([file]) => holdsFor(file)).flatMap(([from, imports]) => imports.filter((to) => !mayImport(to, graph)).map((to) => ({ rule, from, to }))),
  );
}

const graph = new Map(['cli', 'agent'].flatMap((top) => sources(join(root, top))).map((file) => [file, importsOf(file)]));
const found = cycles(graph);
for (const component of found) {
  const inside = new Set(component);
  console.log(`import cycle among ${component.length} modules:`);
  for (const file of component) {
    const edges = graph.get(file).filter((to) => inside.has(to)).map((to) => relative(root, to));
    console.log(`  ${relative(root, file)} -> ${edges.join(', ')}`);
  }
}
console.log(found.length === 0 ? `no import cycle among ${graph.size} modules` : `${found.length} import cycle(s)`);
const wrong = wrongWay(graph);
for (const { rule, from, to } of wrong) console.log(`wrong-way import (${rule}): ${relative(root, from)} -> ${relative(root, to)}`);
console.log(wrong.length === 0 ? `no wrong-way import` : `${wrong.length} wrong-way import(s)`);
process.exitCode = found.length === 0 && wrong.length === 0 ? 0 : 1;
