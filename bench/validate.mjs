// Generates a configuration with N flows (default 2,000) and times `maestro validate` on it,
// end to end as a user runs it (process start included). Prints figures; asserts nothing.
//   node bench/validate.mjs [flows] [runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const flows = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 5);
const bin = fileURLToPath(new URL('../dist/cmd/maestro.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-'));

const proto = [
  `syntax = "proto3";`,
  `package bench;`,
  `import "api/annotations.proto";`,
  `service Users {`,
  `  option (semaphore.api.service) = { host: "http://127.0.0.1:9" transport: "http" codec: "json" };`,
  `  rpc Get(Query) returns (User) { option (semaphore.api.http) = { endpoint: "/users/:id" method: "GET" }; };`,
  `  rpc Save(User) returns (User) { option (semaphore.api.http) = { endpoint: "/users" method: "POST" }; };`,
  `}`,
  `message Query { string id = 1; }`,
  `message Address { string street = 1; string city = 2; }`,
  `message User { string id = 1; string name = 2; int32 age = 3; Address address = 4; repeated string tags = 5; }`,
].join('\n');
writeFileSync(join(dir, 'bench.proto'), proto);
writeFileSync(
  join(dir, 'config.hcl'),
  `protobuffers = ["./bench.proto"]\ninclude = ["flows/*.hcl"]\nhttp { address = ":8080" }\n`,
);
mkdirSync(join(dir, 'flows'));
const perFile = 100;
for (let file = 0; file < flows / perFile; file++) {
  let text = '';
  for (let i = file * perFile; i < Math.min(flows, (file + 1) * perFile); i++) {
    text += `
endpoint "flow${i}" "http" {
  endpoint = "/flow${i}/:id"
  method   = "GET"
}

flow "flow${i}" {
  input "bench.Query" {}

  resource "user" {
    request "bench.Users" "Get" {
      id = "{{ input:id }}"
    }
  }

  resource "copy" {
    request "bench.Users" "Save" {
      id   = "{{ user:id }}"
      name = "{{ upper(user:name) }}"
      age  = "{{ user:age }}"
      message "address" {
        city = "{{ user:address.city }}"
      }
    }
  }

  if "{{ user:age }} > 18" {
    resource "adult" {
      request "bench.Users" "Get" {
        id = "{{ copy:id }}"
      }
    }
  }

  output "bench.User" {
    id   = "{{ copy:id }}"
    name = "Hello {{ user:name }}"
    tags = "{{ user:tags }}"
  }
}
`;
  }
  writeFileSync(join(dir, 'flows', `flows${file}.hcl`), text);
}

const times = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [bin, 'validate', '--config', join(dir, 'config.hcl')], {
    encoding: 'utf8',
  });
  times.push(performance.now() - t0);
  if (r === 0) console.log(out.trim());
}
times.sort((a, b) => a - b);
console.log(
  `validate ${flows} flows: median ${(times[Math.floor(runs / 2)] / 1000).toFixed(2)} s, min ${(times[0] / 1000).toFixed(2)} s, max ${(times[runs - 1] / 1000).toFixed(2)} s over ${runs} runs`,
);
rmSync(dir, { recursive: true, force: true });
