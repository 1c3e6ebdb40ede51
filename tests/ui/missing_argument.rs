use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    client.set("key").await?;
    Ok(())
}

fn main() {
    drop(run);
}
