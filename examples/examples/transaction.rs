//! MULTI/EXEC transactions: a typed tuple of EXEC's replies, and an optimistic check-and-set
//! with WATCH on a connection held alone.

use sider::prelude::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    client.set("stock", 10).await?;
    let (left, sold) = client
        .transaction()
        .decrby("stock", 3)
        .incrby("sold", 3)
        .execute()
        .await?;
    println!("stock left: {left}, sold so far: {sold}");

    // WATCH needs a connection no other task shares: the compiler refuses `client.watch(..)`.
    let mut conn = client.dedicated().await?;
    let doubled = conn
        .watching("stock", 10, async |conn| {
            let stock: i64 = conn.get("stock").await?.unwrap_or(0);
            conn.transaction().set("stock", stock * 2).execute().await?;
            Ok(stock * 2)
        })
        .await?;
    println!("stock doubled to {doubled}");
    Ok(())
}
