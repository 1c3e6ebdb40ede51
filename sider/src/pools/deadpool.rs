//! `deadpool::managed::Manager` for [`Manager`]: `deadpool` recycles a connection before it
//! lends it again, and drops it when recycling fails.

use super::Manager;
use crate::connection::Connection;
use crate::error::Error;
use deadpool::managed::{Metrics, RecycleError, RecycleResult};

impl deadpool::managed::Manager for Manager {
    type Type = Connection;
    type Error = Error;

    async fn create(&self) -> Result<Connection, Error> {
        self.open().await
    }

    /// `RESET` (where the server has it) and what the configuration sets, then `PING`.
    async fn recycle(&self, conn: &mut Connection, _: &Metrics) -> RecycleResult<Error> {
        Manager::recycle(self, conn)
            .await
            .map_err(RecycleError::Backend)
    }
}
