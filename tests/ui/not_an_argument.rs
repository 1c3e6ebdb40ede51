use sider::prelude::*;

struct Point {
    x: i32,
}

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    // One element of a tuple is not an argument: the message names the tuple, not an arity.
    client.hset("k", (("a", 1), ("b", Point { x: 1 }))).await?;
    client.set("k", Point { x: 2 }).await?;
    // A channel is a name or a list of names.
    client.subscribe(42).await?;
    Ok(())
}

fn main() {
    drop(run);
}
