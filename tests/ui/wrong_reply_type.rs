use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    let s: String = client.incr("n").await?;
    println!("{s}");
    Ok(())
}

fn main() {
    drop(run);
}
