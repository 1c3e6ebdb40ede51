use serde::{Deserialize, Serialize};
use sider::prelude::*;
use sider::{Client, Json, Record};
use std::time::Duration;

/// A session, stored as a hash: one field per member, the roles as one JSON field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: u64,
    pub name: String,
    pub admin: bool,              // stored as 1 or 0
    pub email: Option<String>,    // None: no such field
    pub roles: Json<Vec<String>>, // ["dev","ops"]
}

const IDLE: Duration = Duration::from_secs(30 * 60);

/// Stores a session that expires after half an hour without use.
pub async fn save(client: &Client, id: &str, session: &Session) -> Result<(), sider::Error> {
    let key = format!("session:{id}");
    // One transaction: the hash and its expiry, or neither.
    client
        .transaction()
        .del([&key]) // fields left out as None must not survive from an older version
        .hset(&key, Record(session))
        .expire(&key, IDLE)
        .execute()
        .await?;
    Ok(())
}

/// The session, and its expiry pushed back; `None` when it expired or never was. A session
/// the code cannot read (a field missing or mistyped) is an error, not a logout.
pub async fn load(client: &Client, id: &str) -> Result<Option<Session>, sider::Error> {
    let key = format!("session:{id}");
    let (session, _) = client
        .pipeline()
        .hgetall_as::<Option<Record<Session>>>(&key)
        .expire(&key, IDLE)
        .execute()
        .await?;
    Ok(session.map(Record::into_inner))
}
