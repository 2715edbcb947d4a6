x = foo(1)
y = "${bar}"
