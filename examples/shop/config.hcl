# A small shop: two flows in front of one mock upstream (upstream.mjs beside this file).
# Start both with `npm run example` from the project root.

log_level = "info"
include   = ["flows/*.hcl"]

http {
  address = "$MAESTRO_HTTP"
}

service "shop" "Catalog" {
  transport = "http"
  codec     = "json"
  host      = "$SHOP_UPSTREAM"

  method "Product" {
    options {
      endpoint = "/products/:sku"
      method   = "GET"
    }
  }

  method "Stock" {
    options {
      endpoint = "/stock/:sku"
      method   = "GET"
    }
  }

  method "Reviews" {
    options {
      endpoint = "/reviews/:sku"
      method   = "GET"
    }
  }
}

service "shop" "Orders" {
  transport = "http"
  codec     = "json"
  host      = "$SHOP_UPSTREAM"

  method "Reserve" {
    options {
      endpoint = "/reservations"
      method   = "POST"
    }
  }

  method "Release" {
    options {
      endpoint = "/reservations/:id"
      method   = "DELETE"
    }
  }

  method "Charge" {
    options {
      endpoint = "/charges"
      method   = "POST"
    }
  }
}
