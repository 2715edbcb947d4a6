# S3: a chain of three HTTP calls, each reading the answer of the one before.
endpoint "s3" "http" {
  endpoint = "/s3/:id"
  method   = "GET"
}

flow "s3" {
  input {}
  resource "first" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  resource "second" {
    request "bench.Users" "Orders" { id = "{{ first:id }}" }
  }
  resource "third" {
    request "bench.Users" "Stock" { id = "{{ second:id }}" }
  }
  output {
    id    = "{{ third:id }}"
    name  = "{{ third:name }}"
    email = "{{ third:email }}"
  }
}
