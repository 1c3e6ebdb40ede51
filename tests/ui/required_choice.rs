// A required one-of choice given as something else: the error names the type to pass, which
// `sider::commands` holds (`Side` for every list end, `Trim` for XADD and XTRIM).
use sider::prelude::*;

async fn run(client: sider::Client) -> Result<(), sider::Error> {
    client.lmove::<String>("from", "to", "left", "right").await?;
    client.xtrim("stream", 1000).await?;
    Ok(())
}

fn main() {
    drop(run);
}
