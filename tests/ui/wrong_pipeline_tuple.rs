use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    let (a, b): (i64, String) = client
        .pipeline()
        .set("k", "v")
        .get::<String>("k")
        .execute()
        .await?;
    println!("{a} {b}");
    Ok(())
}

fn main() {
    drop(run);
}
