# POST /orders: reserve stock, then charge. When the charge fails (the mock refuses
# amounts over 1000), the reservation is released by its rollback.
endpoint "order" "http" {
  endpoint = "/orders"
  method   = "POST"
  status   = 201
}

flow "order" {
  input {}

  resource "reservation" {
    request "shop.Orders" "Reserve" {
      sku = "{{ input:sku }}"
    }

    rollback "shop.Orders" "Release" {
      id = "{{ reservation:id }}"
    }
  }

  resource "charge" {
    request "shop.Orders" "Charge" {
      reservation = "{{ reservation:id }}"
      amount      = "{{ input:amount }}"
    }

    on_error {
      status  = 402
      message = "payment refused for {{ input:sku }}"
    }
  }

  output {
    reservation = "{{ reservation:id }}"
    charge      = "{{ charge:id }}"
  }
}
