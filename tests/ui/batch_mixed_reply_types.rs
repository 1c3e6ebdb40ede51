use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    let mut batch = client.batch::<Option<String>>();
    batch.push(|c| c.get("a"));
    batch.push(|c| c.incr("n"));
    let _ = batch.execute().await?;
    Ok(())
}

fn main() {
    drop(run);
}
