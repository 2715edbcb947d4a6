# S2: three independent HTTP calls in flight together, merged into one answer.
endpoint "s2" "http" {
  endpoint = "/s2/:id"
  method   = "GET"
}

flow "s2" {
  input {}
  resource "user" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  resource "orders" {
    request "bench.Users" "Orders" { id = "{{ input:id }}" }
  }
  resource "stock" {
    request "bench.Users" "Stock" { id = "{{ input:id }}" }
  }
  output {
    name   = "{{ user:name }}"
    email  = "{{ orders:email }}"
    tags   = "{{ stock:tags }}"
  }
}
