# S4: a plain proxy forward.
endpoint "s4" "http" {
  endpoint = "/s4/*path"
  method   = "*"
}

proxy "s4" {
  forward "bench.Raw" {}
  rewrite "/s4/(?P<rest>.*)" "/<rest>" {}
}
