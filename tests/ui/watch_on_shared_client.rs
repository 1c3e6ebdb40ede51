use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    client.watch("balance").await?;
    Ok(())
}

fn main() {
    drop(run);
}
