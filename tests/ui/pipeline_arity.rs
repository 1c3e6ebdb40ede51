use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    let (a, b, c) = client.pipeline().incr("a").incr("b").execute().await?;
    println!("{a} {b} {c}");
    Ok(())
}

fn main() {
    drop(run);
}
