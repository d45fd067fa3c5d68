//! Settings (the "More" tab), always the signed-in user's own: profile and preferences here;
//! the Custom nutrients card's forms in [`custom_nutrients`]; password, sessions and API keys
//! in [`security`]; family access in [`family`]; the assistant's provider in [`assistant`];
//! the no-script import forms of Your data in [`imports`]; the server's accounts, for
//! administrators, in [`administration`].

mod administration;
mod assistant;
mod custom_nutrients;
mod family;
mod imports;
mod security;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use serde::Deserialize;
use sparky_app::accounts::{self, UpdateMeInput};
use sparky_app::preferences::{self, PreferencesUpdate};
use sparky_app::profile::{self, ProfileInput};
use sparky_app::{Acting, AppError};
use sparky_core::energy::{ActivityLevel, Sex};
use sparky_core::units::{cm_to_in, in_to_cm, round_dp};
use sparky_core::{Amount, Date, Theme, UnitsSystem, Weekday};

use super::forms::{decimal, options, timezones, Errors, Opt};
use super::{html, redirect, Page, PageError, PageForm, PageQuery, Shell, Units};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/profile", post(save_profile))
        .route("/settings/preferences", post(save_preferences))
        .merge(custom_nutrients::routes())
        .merge(security::routes())
        .merge(family::routes())
        .merge(assistant::routes())
        .merge(imports::routes())
        .merge(administration::routes())
}

/// The frame of a settings page: the user's own units whoever's data the other pages show.
pub(super) async fn settings_shell(page: &mut Page, title: &str) -> Result<Shell, PageError> {
    let mut shell = page.shell(title, "more").await?;
    let own = preferences::get(&mut page.tx, Acting::ME).await?;
    shell.units = Units::from_preferences(&own);
    Ok(shell)
}

/// What the profile form holds, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    full_name: String,
    sex: String,
    birth_date: String,
    height: String,
    activity: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PreferencesForm {
    units_system: String,
    timezone: String,
    theme: String,
    exercise_eat_back_percent: String,
    week_start: String,
}

#[derive(Template)]
#[template(path = "pages/settings.html")]
struct SettingsPage {
    shell: Shell,
    tab: &'static str,
    p: ProfileForm,
    errors: Errors,
    saved: bool,
    sexes: Vec<Opt>,
    activities: Vec<Opt>,
    units: Vec<Opt>,
    themes: Vec<Opt>,
    timezones: Vec<Opt>,
    height_unit: &'static str,
    eat_back: String,
    week_starts: Vec<Opt>,
    data: DataResult,
    nutrients: custom_nutrients::NutrientsCard,
}

/// What an import sent without JavaScript came to, for the Your data card; the other-app
/// form keeps its choices.
#[derive(Default)]
struct DataResult {
    /// The archive form's message: imported, or why not.
    archive: Option<String>,
    archive_error: Option<String>,
    kind: String,
    target: String,
    map: String,
    /// The other-app form's outcome: the preview's lines.
    from: Vec<String>,
    /// Why the other-app form's file was refused.
    from_error: Option<String>,
    notes: Vec<String>,
    skipped: Vec<String>,
    /// A check found rows to add: the file is to be chosen again and imported.
    checked: bool,
}

impl DataResult {
    fn kind_is(&self, kind: &str) -> bool {
        self.kind == kind || (self.kind.is_empty() && kind == "mfp")
    }

    fn target_is(&self, target: &str) -> bool {
        self.target == target || (self.target.is_empty() && target == "diary")
    }
}

fn render(
    shell: Shell,
    p: ProfileForm,
    prefs: PreferencesForm,
    errors: Errors,
    saved: bool,
) -> SettingsPage {
    let t = shell.t;
    let mut sexes = vec![Opt::new("", t.get("settings.not_set"), &p.sex)];
    sexes.extend(options(&t, "sex", Sex::NAMES, &p.sex));
    let mut activities = vec![Opt::new("", t.get("settings.not_set"), &p.activity)];
    activities.extend(options(&t, "activity", ActivityLevel::NAMES, &p.activity));
    SettingsPage {
        tab: "profile",
        sexes,
        activities,
        units: options(&t, "units", UnitsSystem::NAMES, &prefs.units_system),
        themes: options(&t, "theme", Theme::NAMES, &prefs.theme),
        timezones: timezones(&prefs.timezone),
        height_unit: if shell.units.imperial() { "in" } else { "cm" },
        eat_back: prefs.exercise_eat_back_percent,
        week_starts: options(&t, "weekday", Weekday::NAMES, &prefs.week_start),
        data: DataResult::default(),
        nutrients: custom_nutrients::NutrientsCard::default(),
        shell,
        p,
        errors,
        saved,
    }
}

/// The stored profile and preferences as the forms show them.
async fn current(
    page: &mut Page,
    shell: &Shell,
) -> Result<(ProfileForm, PreferencesForm), PageError> {
    let me = accounts::me(&mut page.tx).await?;
    let prof = profile::get(&mut page.tx, Acting::ME).await?;
    let prefs = preferences::get(&mut page.tx, Acting::ME).await?;
    let height = prof
        .height_cm
        .map(|h| height_shown(h.decimal(), shell.units.imperial()));
    Ok((
        ProfileForm {
            full_name: me.full_name.unwrap_or_default(),
            sex: prof.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
            birth_date: prof.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            height: height.unwrap_or_default(),
            activity: prof
                .activity_level
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        },
        PreferencesForm {
            units_system: prefs.units_system,
            timezone: prefs.timezone,
            theme: prefs.theme,
            exercise_eat_back_percent: prefs.exercise_eat_back_percent.to_string(),
            week_start: prefs.week_start.as_str().to_string(),
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct SavedParam {
    saved: Option<String>,
    /// What a Custom nutrients form just did (`added`, `saved`, `deleted`), said in its card.
    nutrient: Option<String>,
}

async fn show(mut page: Page, PageQuery(q): PageQuery<SavedParam>) -> Result<Response, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.title")).await?;
    let (p, prefs) = current(&mut page, &shell).await?;
    let nutrients = custom_nutrients::card(&t, &mut page.tx, None, q.nutrient.as_deref()).await?;
    page.tx.commit().await?;
    let mut view = render(shell, p, prefs, Errors::default(), q.saved.is_some());
    view.nutrients = nutrients;
    Ok(html(&view))
}

/// Re-renders the page with `errors` (422); the transaction is dropped, so nothing changes.
async fn again(
    mut page: Page,
    p: Option<ProfileForm>,
    prefs: Option<PreferencesForm>,
    errors: Errors,
) -> Result<Response, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.title")).await?;
    let (stored_p, stored_prefs) = current(&mut page, &shell).await?;
    let nutrients = custom_nutrients::card(&t, &mut page.tx, None, None).await?;
    let mut view = render(
        shell,
        p.unwrap_or(stored_p),
        prefs.unwrap_or(stored_prefs),
        errors,
        false,
    );
    view.nutrients = nutrients;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

/// A height as the profile form shows it: cm or inches, one place.
fn height_shown(cm: rust_decimal::Decimal, imperial: bool) -> String {
    let shown = if imperial { cm_to_in(cm) } else { cm };
    round_dp(shown, 1).normalize().to_string()
}

fn profile_input(
    f: &ProfileForm,
    imperial: bool,
    errors: &mut Errors,
    t: &crate::i18n::Messages,
) -> ProfileInput {
    let sex = match f.sex.trim() {
        "" => None,
        s => Sex::parse(s).or_else(|| {
            errors
                .0
                .insert("sex".into(), t.get("settings.err.sex").into());
            None
        }),
    };
    let activity = match f.activity.trim() {
        "" => None,
        s => ActivityLevel::parse(s).or_else(|| {
            errors
                .0
                .insert("activity".into(), t.get("settings.err.activity").into());
            None
        }),
    };
    let birth_date = match f.birth_date.trim() {
        "" => None,
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| Date::new(d).ok())
            .or_else(|| {
                errors
                    .0
                    .insert("birth_date".into(), t.get("settings.err.birth_date").into());
                None
            }),
    };
    let height = match sparky_core::units::feet_and_inches(&f.height) {
        Some(inches) => Ok(Some(in_to_cm(inches))),
        None => decimal(&f.height).map(|h| h.map(|h| if imperial { in_to_cm(h) } else { h })),
    };
    let height = match height {
        Ok(h) => h.map(|cm| Amount(round_dp(cm, 2))),
        Err(()) => {
            errors
                .0
                .insert("height".into(), t.get("settings.err.height").into());
            None
        }
    };
    ProfileInput {
        sex: Some(sex),
        birth_date: Some(birth_date),
        height_cm: Some(height),
        activity_level: Some(activity),
    }
}

async fn save_profile(
    mut page: Page,
    PageForm(form): PageForm<ProfileForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let own = preferences::get(&mut page.tx, Acting::ME).await?;
    let imperial = Units::from_preferences(&own).imperial();
    let mut errors = Errors::default();
    let mut input = profile_input(&form, imperial, &mut errors, &t);
    if !errors.is_empty() {
        return again(page, Some(form), None, errors).await;
    }
    // The height sent back as the form showed it (rounded to one place, in inches for US
    // units) is the stored one: saving the form must not move 170 cm to 169.93.
    let stored = profile::get(&mut page.tx, Acting::ME).await?.height_cm;
    if stored.is_some_and(|h| height_shown(h.decimal(), imperial) == form.height.trim()) {
        input.height_cm = None;
    }
    let result = async {
        let change = input.parse()?;
        accounts::update_me(
            &mut page.tx,
            UpdateMeInput {
                full_name: form.full_name.clone(),
            },
        )
        .await?;
        profile::update(&mut page.tx, &change).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            page.tx.commit().await?;
            Ok(redirect("/settings?saved=profile"))
        }
        Err(e @ AppError::Invalid(_)) => {
            let mut errors = Errors::from_app(&t, "settings.err", &e).unwrap_or_default();
            // The profile names the height in cm; the form's field is "height".
            if errors.0.remove("height_cm").is_some() {
                errors
                    .0
                    .insert("height".into(), t.get("settings.err.height").into());
            }
            again(page, Some(form), None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn save_preferences(
    mut page: Page,
    PageForm(form): PageForm<PreferencesForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let mut errors = Errors::default();
    let units = UnitsSystem::parse(&form.units_system).ok();
    let theme = Theme::parse(&form.theme).ok();
    if units.is_none() {
        errors.0.insert(
            "units_system".into(),
            t.get("onboarding.err.units_system").into(),
        );
    }
    if theme.is_none() {
        errors
            .0
            .insert("theme".into(), t.get("settings.err.theme").into());
    }
    let eat_back = form.exercise_eat_back_percent.trim();
    let eat_back = match eat_back.parse::<i16>() {
        Ok(p) if (0..=100).contains(&p) => Some(p),
        _ if eat_back.is_empty() => None,
        _ => {
            errors.0.insert(
                "exercise_eat_back_percent".into(),
                t.get("settings.err.eat_back").into(),
            );
            None
        }
    };
    // Left out (an older form): unchanged.
    let week_start = match form.week_start.trim() {
        "" => None,
        w => match Weekday::parse(w) {
            Ok(w) => Some(w),
            Err(_) => {
                errors
                    .0
                    .insert("week_start".into(), t.get("settings.err.week_start").into());
                None
            }
        },
    };
    if !errors.is_empty() {
        return again(page, None, Some(form), errors).await;
    }
    let update = PreferencesUpdate {
        theme,
        units_system: units,
        ai_provider: None,
        timezone: Some(form.timezone.clone()),
        exercise_eat_back_percent: eat_back,
        week_start,
    };
    match preferences::update(&mut page.tx, Acting::ME, update).await {
        Ok(_) => {
            page.tx.commit().await?;
            Ok(redirect("/settings?saved=preferences"))
        }
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(&t, "onboarding.err", &e).unwrap_or_default();
            again(page, None, Some(form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}
