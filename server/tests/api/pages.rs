//! The portal's pages, rendered on the server: content, titles and status codes.

use crate::helpers::{ORDERS, spawn_app};

#[tokio::test]
async fn the_product_page_is_rendered_on_the_server() {
    let app = spawn_app().await;
    app.deploy(ORDERS).await;
    let response = app.get("/products/sales.orders").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("text");
    assert!(html.contains("<title>Customer orders · Atrium</title>"), "{html}");
    assert!(html.contains("<strong>one row per order</strong>"));
    assert!(html.contains("decimal(12,2)"));
    assert!(html.contains("hashed (keyed)"));
    assert!(html.contains("/pkg/atrium.js"), "the page loads the hydration bundle");
}

#[tokio::test]
async fn home_and_domain_pages_list_products() {
    let app = spawn_app().await;
    app.deploy(ORDERS).await;
    let home = app.get("/").await.text().await.expect("text");
    assert!(home.contains("1 product published by 1 domain team."), "{home}");
    assert!(home.contains("Customer orders"));
    assert!(home.contains("href=\"/domains/sales\""));
    let domain = app.get("/domains/sales").await;
    assert_eq!(domain.status(), 200);
    assert!(
        domain
            .text()
            .await
            .expect("text")
            .contains("href=\"/products/sales.orders\"")
    );
}

#[tokio::test]
async fn missing_pages_answer_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/products/sales.nope").await.status(), 404);
    assert_eq!(app.get("/domains/nope").await.status(), 404);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
}
