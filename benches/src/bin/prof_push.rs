use sider::prelude::*;

#[inline(never)]
fn build<'c>(
    client: &'c sider::Client,
    keys: &[String],
    values: &[String],
) -> sider::Batch<'c, ()> {
    let mut batch = client.batch::<()>();
    for (k, v) in keys.iter().zip(values) {
        batch.push(|b| b.set(k.as_str(), v.as_str()));
    }
    batch
}

fn main() {
    let url = std::env::args().nth(1).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = sider::Client::connect(&url).await.unwrap();
        let keys: Vec<String> = (0..10000).map(|i| format!("key:{i}")).collect();
        let values: Vec<String> = (0..10000).map(|i| format!("{i:016}")).collect();
        let b = build(&client, &keys, &values);
        b.execute().await.unwrap();
    });
}
