# The S1 flow (one HTTP call, three fields mapped) behind a gRPC endpoint, and the same
# flow behind an HTTP endpoint for comparison.
http { address = "$BENCH_LISTEN" }
grpc { address = "$BENCH_GRPC_LISTEN" }
log_level    = "warn"
protobuffers = ["./front.proto"]

service "bench" "Users" {
  transport = "http"
  codec     = "json"
  host      = "$BENCH_HTTP"

  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
}

endpoint "front" "grpc" {
  package = "maestro.bench"
  service = "Front"
  method  = "Get"
}

endpoint "front-http" "http" {
  endpoint = "/s1/:id"
  method   = "GET"
}

flow "front" {
  input "maestro.bench.GetRequest" {}
  resource "user" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  output "maestro.bench.User" {
    id    = "{{ user:id }}"
    name  = "{{ user:name }}"
    email = "{{ user:email }}"
  }
}

flow "front-http" {
  input "maestro.bench.GetRequest" {}
  resource "user" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  output "maestro.bench.User" {
    id    = "{{ user:id }}"
    name  = "{{ user:name }}"
    email = "{{ user:email }}"
  }
}

# No upstream call: the listener and the executor only.
endpoint "echo" "grpc" {
  package = "maestro.bench"
  service = "Front"
  method  = "Echo"
}

endpoint "echo-http" "http" {
  endpoint = "/echo/:id"
  method   = "GET"
}

flow "echo" {
  input "maestro.bench.GetRequest" {}
  output "maestro.bench.User" {
    name = "{{ input:id }}"
  }
}

flow "echo-http" {
  input "maestro.bench.GetRequest" {}
  output "maestro.bench.User" {
    name = "{{ input:id }}"
  }
}

# A proxy on a gRPC endpoint: each call relayed to the gRPC upstream as it is.
service "maestro.bench" "Upstream" {
  transport = "grpc"
  host      = "$BENCH_GRPC"
}

endpoint "relay" "grpc" {
  package = "maestro.bench"
  service = "Upstream"
  method  = "Get"
}

proxy "relay" {
  forward "maestro.bench.Upstream" {}
}
