// export.mjs: writes the CEL conformance tests of @bufbuild/cel-spec as JSON lines for
// tests/cel/conformance.c. Usage: node export.mjs NODE_MODULES_PARENT > tests.jsonl
//
// Each line is one test as the cel-spec SimpleTest protobuf JSON (expr, bindings, value,
// evalError, ...) plus "suite" (the file: basic, string_ext...), "section", and "proto":
// true when the test needs protobuf message types (TestAllTypes, wrappers, Any, Struct,
// enums), which kvet does not have: those are counted apart, not run.
import { pathToFileURL } from "node:url";
import path from "node:path";

const root = process.argv[2] ?? ".";
const mod = path.join(root, "node_modules/@bufbuild/cel-spec/dist/esm/testdata/conformance.js");
const { tests } = await import(pathToFileURL(path.resolve(mod)).href);

const messageName = /TestAllTypes|NestedTestAllTypes|GlobalEnum|NestedEnum|google\.protobuf\.(?!Duration\b|Timestamp\b)[A-Za-z]+|proto[23]\./;
const wellKnown = /google\.protobuf\.(Duration|Timestamp)$/;

function usesProto(t) {
  if (messageName.test(t.expr)) return true;
  if (/\b[A-Z]\w*\s*\{/.test(t.expr) || /NullValue/.test(t.expr)) return true; // message literals
  const data = JSON.stringify([t.value, t.bindings, t.typeEnv, t.typedResult]);
  for (const m of data.matchAll(/"@type":"([^"]+)"/g)) if (!wellKnown.test(m[1])) return true;
  if (/"messageType":"(?!google\.protobuf\.(Duration|Timestamp)")/.test(data)) return true;
  if (/"enumValue"/.test(data)) return true;
  return false;
}

function walk(node, suite, section) {
  for (const t of node.tests ?? []) {
    const line = { suite, section, ...t.original, proto: usesProto(t.original) };
    process.stdout.write(JSON.stringify(line) + "\n");
  }
  for (const child of node.suites ?? [])
    walk(child, suite || child.name, suite ? child.name : "");
}

walk(tests, "", "");
