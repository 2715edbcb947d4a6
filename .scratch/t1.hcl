a = "x\n\"y\\ \u00e9 $${z} %%{w} {{ input:a }} << b >>"
b = 12345678901234567890
c = 1.5
d = 1e3
e = true
f = null
g = [1, "two", {k = 1, "s" = 2}]
h = <<EOT
hello ${x}
  world
EOT
i = <<-EOT
    indented
      more
    EOT
j = foo(1)
k = var.x
l = -1
m = a ? b : c
n = {"message": "hi", "meta": {"id": 1}}
block "l1" "l2" {
  x = 1
}
