# GET /products/L1: three upstream calls in flight at once, merged into one answer.
endpoint "product" "http" {
  endpoint = "/products/:sku"
  method   = "GET"
}

flow "product" {
  input {}

  resource "product" {
    request "shop.Catalog" "Product" {
      sku = "{{ input:sku }}"
    }
  }

  resource "stock" {
    request "shop.Catalog" "Stock" {
      sku = "{{ input:sku }}"
    }
  }

  resource "reviews" {
    request "shop.Catalog" "Reviews" {
      sku = "{{ input:sku }}"
    }
  }

  output {
    sku      = "{{ input:sku }}"
    name     = "{{ upper(product:name) }}"
    price    = "{{ product:price }}"
    in_stock = "{{ stock:available }}"
    rating   = "{{ reviews:average }}"
    summary  = "{{ sprintf('%s: %d in stock', product:name, stock:available) }}"
  }
}
