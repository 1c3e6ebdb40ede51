use sider::prelude::*;
use sider::Client;

/// Records a player's points: a sorted set keeps the players ordered by score.
pub async fn score(client: &Client, player: &str, points: f64) -> Result<f64, sider::Error> {
    client.zincrby("leaderboard", points, player).await
}

/// The best `n` players with their scores, best first.
pub async fn top(client: &Client, n: i64) -> Result<Vec<(String, f64)>, sider::Error> {
    client.zrange("leaderboard", 0, n - 1).rev().withscores().await
}

/// A player's place (1 for the best) and score; `None` for a player with no score yet.
pub async fn standing(client: &Client, player: &str) -> Result<Option<(i64, f64)>, sider::Error> {
    let (rank, score): (Option<i64>, Option<f64>) = client
        .pipeline()
        .zrevrank("leaderboard", player)
        .zscore("leaderboard", player)
        .execute()
        .await?;
    Ok(rank.zip(score).map(|(rank, score)| (rank + 1, score)))
}
