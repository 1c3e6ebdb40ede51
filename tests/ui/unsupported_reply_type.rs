use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    let _ = client.get::<std::time::Instant>("k").await?;
    Ok(())
}

fn main() {
    drop(run);
}
