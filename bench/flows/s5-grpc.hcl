# S5: one unary gRPC call behind an HTTP endpoint.
endpoint "s5" "http" {
  endpoint = "/s5/:id"
  method   = "GET"
}

flow "s5" {
  input "maestro.bench.GetRequest" {}
  resource "user" {
    request "maestro.bench.Upstream" "Get" { id = "{{ input:id }}" }
  }
  output "maestro.bench.User" {
    id    = "{{ user:id }}"
    name  = "{{ user:name }}"
    email = "{{ user:email }}"
  }
}
