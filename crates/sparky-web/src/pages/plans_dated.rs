//! A plan's dated forms: applying it to a range of dates, and taking it off them, each
//! answered with a redirect to the plan's page and a notice only this session can vouch for.

use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use sparky_app::meal_plans::{self, ApplyInput};
use sparky_core::Date;
use uuid::Uuid;

use super::form_errors::FormErrors;
use super::once;
use super::plans::{render_detail, DetailParams, Typed};
use super::{redirect, Page, PageError};
use crate::pages::{PageForm, PagePath};

/// Marks the numbers an apply or a take-off put in the page's address as this session's own
/// (derived from its CSRF token), so a link from elsewhere cannot make the page claim entries
/// were added or removed. `kind` ("applied", "removed") keeps one's mark from vouching for
/// the other.
pub(super) fn notice_mark(
    csrf: &str,
    kind: &str,
    id: Uuid,
    numbers: &[usize],
    diary_of: Option<Uuid>,
) -> String {
    let whose = diary_of.map(|u| u.to_string()).unwrap_or_default();
    let numbers: Vec<String> = numbers.iter().map(usize::to_string).collect();
    let hash =
        crate::auth::token_hash(&format!("{kind}:{csrf}:{id}:{}:{whose}", numbers.join(":")));
    hash.chars().take(16).collect()
}

#[derive(Deserialize)]
pub struct ApplyForm {
    from: String,
    to: String,
    /// Someone who lets the user log into their diary, to apply the plan there (empty: the
    /// diary the page is about). RLS decides whether it may be written.
    #[serde(default)]
    diary_of: Option<String>,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

/// Applies the plan to a range of dates.
pub(super) async fn apply(
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ApplyForm>,
) -> Result<Response, PageError> {
    dated(page, id, form, Dated::Apply).await
}

/// Takes the plan off a range of dates: what applying it wrote there leaves the diary, and
/// the page says how much.
pub(super) async fn unapply(
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ApplyForm>,
) -> Result<Response, PageError> {
    dated(page, id, form, Dated::TakeOff).await
}

/// The two forms over a range of dates: applying the plan, taking it off.
#[derive(Clone, Copy)]
enum Dated {
    Apply,
    TakeOff,
}

impl Dated {
    /// The form's date fields, where its errors are shown.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Dated::Apply => ("from", "to"),
            Dated::TakeOff => ("off_from", "off_to"),
        }
    }

    /// The once-token's scope.
    fn once(self) -> &'static str {
        match self {
            Dated::Apply => "apply",
            Dated::TakeOff => "unapply",
        }
    }
}

/// What a dated form did, for the notice on the page it leads to.
enum DatedDone {
    Applied(meal_plans::ApplyResult),
    Removed(meal_plans::UnapplyResult),
}

async fn dated(
    mut page: Page,
    id: Uuid,
    form: ApplyForm,
    action: Dated,
) -> Result<Response, PageError> {
    let (from_field, to_field) = action.fields();
    let mut typed = match action {
        Dated::Apply => Typed {
            from: Some(form.from.clone()),
            to: Some(form.to.clone()),
            ..Typed::default()
        },
        Dated::TakeOff => Typed {
            off_from: Some(form.from.clone()),
            off_to: Some(form.to.clone()),
            ..Typed::default()
        },
    };
    let (from, to) = (date_of(&form.from), date_of(&form.to));
    if from.is_none() {
        typed
            .errors
            .add(from_field, page.t.get("plans.date_needed"));
    }
    if to.is_none() {
        typed.errors.add(to_field, page.t.get("plans.date_needed"));
    }
    let diary_of = diary_of(&form)?;
    let into = match diary_of {
        Some(who) => sparky_app::Acting::new(Some(who)),
        None => page.acting,
    };
    if !typed.errors.is_empty() {
        return render_detail(&mut page, id, &DetailParams::default(), typed).await;
    }
    let once = form.once.as_deref();
    let result = match (ApplyInput {
        from,
        to,
        dates: None,
    })
    .parse()
    {
        Ok(dates) => {
            if let Some(to) = once::earlier_answer(&mut page.tx, action.once(), once).await? {
                return Ok(redirect(&to));
            }
            match action {
                Dated::Apply => meal_plans::apply(&mut page.tx, into, id, &dates)
                    .await
                    .map(DatedDone::Applied),
                Dated::TakeOff => meal_plans::unapply(&mut page.tx, into, id, &dates)
                    .await
                    .map(DatedDone::Removed),
            }
        }
        Err(e) => Err(e),
    };
    let done = match result {
        Ok(done) => done,
        // Applying may have written some rows before it refused: this transaction is never
        // committed, and the page below reads only the template. A 403 or 404 is an error page.
        Err(e) => {
            let fields: &[(&str, &str)] = match action {
                Dated::Apply => &[("dates", "to"), ("meal_plan_template_id", "apply")],
                Dated::TakeOff => &[("from", "off_from"), ("to", "off_to"), ("dates", "off_to")],
            };
            typed.errors = FormErrors::from_app(e, fields)?;
            return render_detail(&mut page, id, &DetailParams::default(), typed).await;
        }
    };
    let whose = diary_of
        .map(|u| format!("&diary_of={u}"))
        .unwrap_or_default();
    let to = match done {
        DatedDone::Applied(r) => {
            let entries: usize = r.applied.iter().map(|d| d.entries).sum();
            let (days, skipped) = (r.applied.len(), r.skipped.len());
            let mark = notice_mark(
                &page.csrf,
                "applied",
                id,
                &[entries, days, skipped],
                diary_of,
            );
            format!(
                "/plans/{id}?entries={entries}&days={days}&skipped={skipped}{whose}&mark={mark}"
            )
        }
        DatedDone::Removed(r) => {
            let entries: usize = r.removed.iter().map(|d| d.entries).sum();
            let kept: usize = r.removed.iter().map(|d| d.kept).sum();
            let (days, not_applied) = (r.removed.len(), r.not_applied.len());
            let numbers = [entries, days, not_applied, kept];
            let mark = notice_mark(&page.csrf, "removed", id, &numbers, diary_of);
            format!(
                "/plans/{id}?removed_entries={entries}&removed_days={days}\
                 &not_applied={not_applied}&kept={kept}{whose}&mark={mark}"
            )
        }
    };
    once::keep(&mut page.tx, action.once(), once, &to).await?;
    page.tx.commit().await?;
    Ok(redirect(&to))
}

/// A date as a date input sends it; None when it is not one (or out of the app's range).
fn date_of(text: &str) -> Option<Date> {
    text.trim()
        .parse::<NaiveDate>()
        .ok()
        .and_then(|d| Date::new(d).ok())
}

/// The apply or take-off form's other diary, when one was chosen.
fn diary_of(form: &ApplyForm) -> Result<Option<Uuid>, PageError> {
    match form.diary_of.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(who) => Ok(Some(who.parse().map_err(|_| {
            PageError::invalid("diary_of", "is not someone who shares their diary with you")
        })?)),
    }
}
