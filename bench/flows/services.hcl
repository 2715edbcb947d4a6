# Benchmark upstreams (bench/run.mjs sets the hosts): one fixed JSON answer over HTTP,
# one fixed User over gRPC.
http { address = "$BENCH_LISTEN" }
log_level   = "warn"
protobuffers = ["./bench.proto"]

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
  method "Orders" {
    options {
      endpoint = "/orders/:id"
      method   = "GET"
    }
  }
  method "Stock" {
    options {
      endpoint = "/stock/:id"
      method   = "GET"
    }
  }
  method "Save" {
    options {
      endpoint = "/save"
      method   = "POST"
    }
  }
}

service "bench" "Raw" {
  transport = "http"
  host      = "$BENCH_HTTP"
}

service "maestro.bench" "Upstream" {
  transport = "grpc"
  codec     = "proto"
  host      = "$BENCH_GRPC"

  method "Get" {
    request  = "maestro.bench.GetRequest"
    response = "maestro.bench.User"
  }
}
