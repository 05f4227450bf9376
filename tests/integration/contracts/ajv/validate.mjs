// A second JSON Schema implementation for tests/contracts: Ajv in strict mode (draft 2020-12) with
// ajv-formats. Every schema file named on the command line must compile; then each stdin line
// {"schema": <file>, "instance": <JSON>} is answered with one line {"valid": bool, "errors": [...]}.
// Docs: https://ajv.js.org/strict-mode.html, https://ajv.js.org/json-schema.html#draft-2020-12 (read 2026-12-01).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

const validators = new Map();
for (const file of process.argv.slice(2)) {
  try {
    validators.set(file, ajv.compile(JSON.parse(readFileSync(file, "utf8"))));
  } catch (error) {
    console.log(JSON.stringify({ compiled: false, schema: file, error: String(error.message ?? error) }));
    process.exit(1);
  }
}
console.log(JSON.stringify({ compiled: true, schemas: [...validators.keys()] }));

for await (const line of createInterface({ input: process.stdin })) {
  const { schema, instance } = JSON.parse(line);
  const validate = validators.get(schema);
  if (validate === undefined) {
    console.log(JSON.stringify({ error: `unknown schema ${schema}` }));
    continue;
  }
  const valid = validate(instance);
  console.log(JSON.stringify({ valid, errors: validate.errors ?? [] }));
}
