x = "é€😀"
y = "${bar} and %{ if x }a%{ endif }"
z = "abc
def"
w = 1
