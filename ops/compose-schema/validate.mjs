// Validates a Compose file against the Compose Specification's JSON schema, the copy that the
// dclint package ships (node_modules/dclint/schemas/compose.schema.json), with the ajv and yaml
// packages dclint itself depends on (its $schema names draft-07 by an https URL ajv does not know,
// so the schema itself is not re-validated). Prints every violation; exit 1 when there is any.
// Usage: node validate.mjs docker-compose.yml
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const Ajv = require("ajv").default;
const YAML = require("yaml");

const schema = JSON.parse(readFileSync(fileURLToPath(new URL(
  "node_modules/dclint/schemas/compose.schema.json", import.meta.url)), "utf8"));
const file = process.argv[2];
const compose = YAML.parse(readFileSync(file, "utf8"));

const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
if (validate(compose)) {
  console.log(`${file}: valid against the Compose Specification schema (${schema.$id})`);
} else {
  for (const error of validate.errors) {
    console.log(`${file}: ${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`);
  }
  process.exit(1);
}
