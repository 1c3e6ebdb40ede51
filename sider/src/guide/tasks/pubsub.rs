use sider::prelude::*;
use sider::{Client, Event, Subscription};

/// Joins a chat room: a subscription to one channel.
pub async fn join(client: &Client, room: &str) -> Result<Subscription, sider::Error> {
    client.subscribe(format!("chat:{room}")).await
}

/// Says something in a room; the reply is how many subscribers received it.
pub async fn say(client: &Client, room: &str, text: &str) -> Result<i64, sider::Error> {
    client.publish(format!("chat:{room}"), text).await
}

/// The next message heard; `None` once the client is gone. After a reconnect the subscription
/// is renewed by itself: what was said in between is lost, as Redis keeps nothing.
pub async fn hear(room: &mut Subscription) -> Result<Option<String>, sider::Error> {
    while let Some(event) = room.next().await {
        match event {
            Event::Message(message) => return Ok(Some(message.payload::<String>()?)),
            Event::Reconnected => eprintln!("reconnected: messages may have been missed"),
            _ => {}
        }
    }
    Ok(None)
}
