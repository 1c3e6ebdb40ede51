//! Common tasks, each a few functions to copy: a job queue, a leaderboard, a session store, a
//! rate limiter and a chat room over pub/sub.
//!
//! Each example is a file of its own in the sider-redis package (`src/guide/tasks/`), compiled
//! here, and run against a real server by the test suite (`tests/tests/common_tasks.rs` in the
//! repository), so what you read is what runs.
//!
//! # A job queue
//!
//! A stream with a consumer group: producers append jobs with `XADD`, each worker of the group
//! is handed jobs no other worker got with `XREADGROUP`, and acknowledges each with `XACK` once
//! done. A job whose worker died before acknowledging it stays pending, for `XAUTOCLAIM` to
//! hand to another worker: delivery is at least once, so make the work safe to repeat.
//!
//! `XREADGROUP ... BLOCK` waits on the server, so each waiting worker holds a connection of its
//! own, opened by the [`Client`](crate::Client) for blocking commands and kept for the next
//! wait: eight workers blocked at once hold eight connections beside the shared one (see
//! "Blocking commands" in [`Client`](crate::Client)).
//! [`Config::max_blocking_connections`](crate::Config::max_blocking_connections) bounds them;
//! [`Client::stats`](crate::Client::stats) counts them. A list works as a simpler queue too:
//! `LPUSH` to add, `BLMOVE` to a "working" list to take, `LREM` from it when done.
//!
//! ```no_run
#![doc = include_str!("tasks/queue.rs")]
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! create_group(&client).await?;
//! enqueue(&client, "resize image 42").await?;
//! let done = work(&client, "worker-1").await?;
//! # Ok(()) }
//! ```
//!
//! # A leaderboard
//!
//! A sorted set orders its members by score: `ZINCRBY` adds points, `ZREVRANGE ... WITHSCORES`
//! gives the best with their scores (`Vec<(String, f64)>`), `ZREVRANK` a player's place. Both
//! reads of `standing` go out in one pipeline, one round trip.
//!
//! ```no_run
#![doc = include_str!("tasks/leaderboard.rs")]
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! score(&client, "ada", 120.0).await?;
//! score(&client, "grace", 95.0).await?;
//! for (place, (player, points)) in top(&client, 10).await?.into_iter().enumerate() {
//!     println!("{}. {player}: {points}", place + 1);
//! }
//! # Ok(()) }
//! ```
//!
//! # A session store
//!
//! A struct in a hash, through serde (features `serde` and `json`): [`Record(&session)`] writes
//! one field per member, `hgetall_as::<Option<Record<Session>>>` reads it back, `None` when the
//! session is gone, and an error when it is there but does not read (a field missing or
//! mistyped), so that a bug is not taken for a logout. A member that is a list goes in as one
//! JSON field with [`Json`]. Every use pushes the expiry back.
//!
//! ```no_run
//! # #[cfg(feature = "json")]
//! # mod session {
#![doc = include_str!("tasks/session.rs")]
//! # }
//! # #[cfg(feature = "json")]
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! # use session::*;
//! let session = Session {
//!     user_id: 7,
//!     name: "Ada".into(),
//!     admin: false,
//!     email: None,
//!     roles: sider::Json(vec!["dev".into()]),
//! };
//! save(&client, "f3a9", &session).await?;
//! match load(&client, "f3a9").await? {
//!     Some(session) => println!("hello, {}", session.name),
//!     None => println!("please log in"),
//! }
//! # Ok(()) }
//! ```
//!
//! # A rate limiter
//!
//! A fixed window: a counter per caller that the window's first call creates with an expiry
//! (`EXPIRE ... NX` leaves a running clock alone), in one transaction so that no counter lives
//! forever. [Scripts](super#scripts-and-functions) show the same limiter in Lua, one command
//! per call.
//!
//! ```no_run
#![doc = include_str!("tasks/rate_limit.rs")]
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! if !allow(&client, "alice", 100, Duration::from_secs(60)).await? {
//!     println!("slow down");
//! }
//! # Ok(()) }
//! ```
//!
//! # A chat room over pub/sub
//!
//! [`Client::subscribe`](crate::Client::subscribe) takes one channel (or many) and gives a
//! [`Subscription`](crate::Subscription), a stream of events; anyone publishes with `PUBLISH`.
//! Under RESP3 the subscription shares the client's connection; under RESP2 it opens one of its
//! own. Pub/sub keeps nothing: a subscriber hears only what is said while it listens, so use a
//! stream (the queue above) for what must not be lost.
//!
//! ```no_run
#![doc = include_str!("tasks/pubsub.rs")]
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let mut lobby = join(&client, "lobby").await?;
//! say(&client, "lobby", "hello").await?;
//! if let Some(text) = hear(&mut lobby).await? {
//!     println!("heard: {text}");
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(feature = "serde", doc = "[`Record(&session)`]: crate::Record")]
#![cfg_attr(
    not(feature = "serde"),
    doc = "[`Record(&session)`]: https://docs.rs/sider-redis/latest/sider/struct.Record.html"
)]
#![cfg_attr(feature = "json", doc = "[`Json`]: crate::Json")]
#![cfg_attr(
    not(feature = "json"),
    doc = "[`Json`]: https://docs.rs/sider-redis/latest/sider/struct.Json.html"
)]
