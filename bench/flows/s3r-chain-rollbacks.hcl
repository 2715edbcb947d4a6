# S3r: S3 with a rollback on each resource. Every run succeeds, so no rollback is sent:
# what this measures beside S3 is the rollback journal (record opened, one step per
# resource, record closed before the answer). Flows without rollbacks write nothing.
endpoint "s3r" "http" {
  endpoint = "/s3r/:id"
  method   = "GET"
}

flow "s3r" {
  input {}
  resource "first" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
    rollback "bench.Users" "Save" { id = "{{ first:id }}" }
  }
  resource "second" {
    request "bench.Users" "Orders" { id = "{{ first:id }}" }
    rollback "bench.Users" "Save" { id = "{{ second:id }}" }
  }
  resource "third" {
    request "bench.Users" "Stock" { id = "{{ second:id }}" }
    rollback "bench.Users" "Save" { id = "{{ third:id }}" }
  }
  output {
    id    = "{{ third:id }}"
    name  = "{{ third:name }}"
    email = "{{ third:email }}"
  }
}
