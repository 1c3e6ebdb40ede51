//! Reply-changing options the server refuses together: the second call does not compile, in
//! either order, and the note names the pair (`<reply so far>: <Command><Option>CombinesWith`).
//! (SET's GET with NX/XX is accepted and typed `Option<V>` in either order: a live test checks.)
#![allow(deprecated)] // GEORADIUS and GEORADIUSBYMEMBER are, and are the commands with the pairs

use sider::commands::{GeoradiusUnit, GeoradiusbymemberUnit};
use sider::prelude::*;

async fn lcs(client: sider::Client) -> Result<(), sider::Error> {
    // LCS refuses LEN with IDX.
    let _ = client.lcs("a", "b").len().idx().await?;
    let _ = client.lcs("a", "b").idx().len().await?;
    Ok(())
}

async fn georadius(client: sider::Client) -> Result<(), sider::Error> {
    // GEORADIUS refuses STORE with WITHCOORD (and WITHDIST, WITHHASH).
    let _ = client
        .georadius::<String>("g", 0.0, 0.0, 1.0, GeoradiusUnit::M)
        .store("dest")
        .withcoord()
        .await?;
    let _ = client
        .georadiusbymember::<String>("g", "m", 1.0, GeoradiusbymemberUnit::M)
        .storedist("dest")
        .withdist()
        .await?;
    Ok(())
}

async fn random(client: sider::Client) -> Result<(), sider::Error> {
    // A count and a count with values are two ways to say one thing. (The other order,
    // `.count_withvalues(2).count(2)`, compiles: `Vec<(F, V)>` is a `Vec<F>` to the type system,
    // so only the server refuses it; likewise `.withcoord().store(..)` above.)
    let _ = client.hrandfield::<String>("h").count(2).count_withvalues::<String>(2).await?;
    let _ = client.zrandmember::<String>("z").count(2).count_withscores(2).await?;
    Ok(())
}

fn main() {
    drop(lcs);
    drop(georadius);
    drop(random);
}
