# S1: one HTTP call, three fields mapped.
endpoint "s1" "http" {
  endpoint = "/s1/:id"
  method   = "GET"
}

flow "s1" {
  input {}
  resource "user" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  output {
    id    = "{{ user:id }}"
    name  = "{{ user:name }}"
    email = "{{ user:email }}"
  }
}
