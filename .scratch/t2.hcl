a = "x\n\"y\\ \u00e9 $${z} %%{w} {{ input:a }} << b >>"
b = 12345678901234567890
c = 1.5
d = 1e3
d2 = 1.5E-2
e = true
f = null
g = [1, "two", {k = 1, "s" = 2}]
h = <<EOT
hello
  world
EOT
i = <<-EOT
    indented
      more

    EOT
n = {"message": "hi", "meta": {"id": 1}}
block "l1" "l2" {
  x = 1
  message = "a"
  message "m" { y = 2 }
}
block "l1" "l3" {}
other {}
other {}
