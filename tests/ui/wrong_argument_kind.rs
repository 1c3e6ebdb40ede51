use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    client.incrby("counter", "ten").await?;
    client.get::<String>(vec![1.5]).await?;
    Ok(())
}

fn main() {
    drop(run);
}
