//! serde: any `Serialize`/`Deserialize` type stored as JSON with `Json<T>`, and a hash read into
//! a struct with `hgetall_as::<Record<T>>` (needs sider's `json` feature).
//!
//! Connects to `REDIS_URL`, or `redis://127.0.0.1:6379` when it is unset.

use serde::{Deserialize, Serialize};
use sider::prelude::*;
use sider::{Json, Record};

#[derive(Debug, Serialize, Deserialize)]
struct Cart {
    items: Vec<(String, u32)>,
    coupon: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    name: String,
    age: u32,
    premium: bool,
    email: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    let cart = Cart {
        items: vec![("apple".into(), 3), ("pear".into(), 1)],
        coupon: None,
    };
    client.set("example:cart:1", Json(&cart)).await?;
    let stored: Option<Json<Cart>> = client.get("example:cart:1").await?;
    println!("cart: {:?}", stored.map(Json::into_inner));

    client
        .hset(
            "example:user:1",
            [("name", "Ada"), ("age", "36"), ("premium", "1")],
        )
        .await?;
    let user = client
        .hgetall_as::<Record<User>>("example:user:1")
        .await?
        .into_inner();
    println!(
        "{}, {}, premium: {}, email: {}",
        user.name,
        user.age,
        user.premium,
        user.email.as_deref().unwrap_or("none")
    );

    // A field that does not parse is named in the error.
    client.hset("example:user:1", ("age", "thirty-six")).await?;
    let err = client
        .hgetall_as::<Record<User>>("example:user:1")
        .await
        .unwrap_err();
    println!("error: {err}");
    Ok(())
}
