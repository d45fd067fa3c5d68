//! What every page of the web app shows around its content: who is signed in, their
//! preferences and who shares data with them, read in one round trip.

use sparky_db::UserTx;
use uuid::Uuid;

use crate::accounts::{self, User};
use crate::error::AppResult;
use crate::family::{self, AccessibleUser};
use crate::preferences::{self, Preferences};

/// The signed-in user's frame of a page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub me: User,
    pub preferences: Preferences,
    /// Everyone who shares something with the signed-in user.
    pub others: Vec<AccessibleUser>,
}

/// Reads the frame: the three reads are independent, so they go out together.
pub async fn read(tx: &mut UserTx) -> AppResult<Frame> {
    let me_sql = accounts::me_sql();
    let preferences_sql = preferences::select_sql();
    let own: Option<Uuid> = None;
    let sets = tx
        .query_many(&[
            (&me_sql, &[]),
            (&preferences_sql, &[&own]),
            (family::ACCESSIBLE_SQL, &[&family::MAX_LISTED]),
        ])
        .await?;
    let [me, prefs, others] = <[_; 3]>::try_from(sets)
        .map_err(|_| crate::error::AppError::internal("frame: three answers expected"))?;
    Ok(Frame {
        me: accounts::me_from(me.first())?,
        preferences: preferences::found(prefs.first())?,
        others: family::accessible_from(&others),
    })
}
