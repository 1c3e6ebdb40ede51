//! `bb8::ManageConnection` for [`Manager`]: `bb8` checks a connection when it lends it
//! (`is_valid`, which recycles it) and drops one that `has_broken` when it comes back.

use super::Manager;
use crate::connection::Connection;
use crate::error::Error;

impl bb8::ManageConnection for Manager {
    type Connection = Connection;
    type Error = Error;

    async fn connect(&self) -> Result<Connection, Error> {
        self.open().await
    }

    /// `RESET` (where the server has it) and what the configuration sets, then `PING`.
    async fn is_valid(&self, conn: &mut Connection) -> Result<(), Error> {
        self.recycle(conn).await
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        Manager::broken(conn).is_some()
    }
}
