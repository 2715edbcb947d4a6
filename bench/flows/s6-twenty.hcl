# S6: twenty resources: a root call, fan-out, chains, two conditions (one true, one
# false), nested messages and repeated mappings in requests and in the output.
endpoint "s6" "http" {
  endpoint = "/s6/:id"
  method   = "GET"
}

flow "s6" {
  input {}
  resource "root" {
    request "bench.Users" "Get" { id = "{{ input:id }}" }
  }
  resource "w1_0" {
    request "bench.Users" "Get" { id = "{{ root:id }}" }
  }
  resource "w1_1" {
    request "bench.Users" "Save" {
      id   = "{{ root:id }}"
      name = "{{ root:name }}"
      message "address" {
        street = "{{ root:address.street }}"
        city   = "{{ root:address.city }}"
      }
      repeated "items" "root:items" {
        sku = "{{ root:items.sku }}"
        qty = "{{ root:items.qty }}"
      }
    }
  }
  resource "w1_2" {
    request "bench.Users" "Stock" { id = "{{ root:id }}" }
  }
  resource "w1_3" {
    request "bench.Users" "Save" {
      id   = "{{ root:id }}"
      name = "{{ root:name }}"
      message "address" {
        street = "{{ root:address.street }}"
        city   = "{{ root:address.city }}"
      }
      repeated "items" "root:items" {
        sku = "{{ root:items.sku }}"
        qty = "{{ root:items.qty }}"
      }
    }
  }
  resource "w1_4" {
    request "bench.Users" "Orders" { id = "{{ root:id }}" }
  }
  resource "w2_0" {
    request "bench.Users" "Save" {
      id   = "{{ w1_0:id }}"
      name = "{{ w1_0:name }}"
      message "address" {
        street = "{{ w1_0:address.street }}"
        city   = "{{ w1_0:address.city }}"
      }
      repeated "items" "w1_0:items" {
        sku = "{{ w1_0:items.sku }}"
        qty = "{{ w1_0:items.qty }}"
      }
    }
  }
  resource "w2_1" {
    request "bench.Users" "Orders" { id = "{{ w1_1:id }}" }
  }
  resource "w2_2" {
    request "bench.Users" "Save" {
      id   = "{{ w1_2:id }}"
      name = "{{ w1_2:name }}"
      message "address" {
        street = "{{ w1_2:address.street }}"
        city   = "{{ w1_2:address.city }}"
      }
      repeated "items" "w1_2:items" {
        sku = "{{ w1_2:items.sku }}"
        qty = "{{ w1_2:items.qty }}"
      }
    }
  }
  resource "w2_3" {
    request "bench.Users" "Orders" { id = "{{ w1_3:id }}" }
  }
  if "{{ root:active }}" {
    resource "yes_0" {
      request "bench.Users" "Save" {
        id   = "{{ w2_0:id }}"
        name = "{{ w2_0:name }}"
        message "address" {
          street = "{{ w2_0:address.street }}"
          city   = "{{ w2_0:address.city }}"
        }
        repeated "items" "w2_0:items" {
          sku = "{{ w2_0:items.sku }}"
          qty = "{{ w2_0:items.qty }}"
        }
      }
    }
    resource "yes_1" {
      request "bench.Users" "Stock" { id = "{{ w2_1:id }}" }
    }
    resource "yes_2" {
      request "bench.Users" "Stock" { id = "{{ w2_2:id }}" }
    }
    resource "yes_3" {
      request "bench.Users" "Stock" { id = "{{ w2_3:id }}" }
    }
  }
  if "{{ root:id }} > 100" {
    resource "no_0" {
      request "bench.Users" "Get" { id = "{{ root:id }}" }
    }
    resource "no_1" {
      request "bench.Users" "Get" { id = "{{ root:id }}" }
    }
    resource "no_2" {
      request "bench.Users" "Get" { id = "{{ root:id }}" }
    }
  }
  resource "w3_0" {
    request "bench.Users" "Get" { id = "{{ yes_0:id }}" }
  }
  resource "w3_1" {
    request "bench.Users" "Get" { id = "{{ yes_1:id }}" }
  }
  resource "w3_2" {
    request "bench.Users" "Get" { id = "{{ yes_2:id }}" }
  }
  output {
    id    = "{{ root:id }}"
    name  = "{{ w3_0:name }}"
    email = "{{ w3_1:email }}"
    tags  = "{{ w3_2:tags }}"
    message "address" {
      street = "{{ yes_0:address.street }}"
      city   = "{{ yes_1:address.city }}"
    }
    repeated "items" "w2_3:items" {
      sku = "{{ w2_3:items.sku }}"
      qty = "{{ w2_3:items.qty }}"
    }
  }
}
