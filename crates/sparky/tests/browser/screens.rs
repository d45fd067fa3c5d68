//! Every screen of the web app, for screenshots (phone and desktop, light and dark) and the
//! axe-core accessibility check. Adding a screen is one line in [`SCREENS`].

/// Who looks at a screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Who {
    /// Signed out.
    Guest,
    /// The signed-in user with a month of data (see `seed` in main.rs).
    User,
    /// Signed in, just registered: onboarding not done (a done one leads on to Today).
    Newcomer,
}

/// What to do on the page before the picture. CSS selectors.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Click(&'static str),
    /// Types into a field (replacing its text).
    Fill(&'static str, &'static str),
    /// Waits for an element.
    Wait(&'static str),
    /// Waits until an element's text contains the text.
    WaitText(&'static str, &'static str),
    /// Sends a form as a browser without the page's script would (no submit event: no
    /// dialog asks first).
    Submit(&'static str),
    /// Opens the address that a field holds (a password link shown on the page).
    OpenValue(&'static str),
    /// Opens a path of the app.
    Goto(&'static str),
}

/// A screen: its name (file names), the path to open (`{yesterday}` is the day before the
/// user's today), who opens it and the steps after loading it.
pub struct Screen {
    pub name: &'static str,
    pub path: &'static str,
    pub who: Who,
    pub steps: &'static [Step],
}

use Step::*;
use Who::*;

const fn screen(
    name: &'static str,
    path: &'static str,
    who: Who,
    steps: &'static [Step],
) -> Screen {
    Screen {
        name,
        path,
        who,
        steps,
    }
}

/// Opens the add-food sheet on Today from the breakfast card.
const OPEN_SHEET: Step = Click("#day .meal a.button.primary");
const SHEET_OPEN: Step = Wait("dialog#sheet[open] #food-q");

pub const SCREENS: &[Screen] = &[
    screen("signin", "/signin", Guest, &[]),
    screen("register", "/register", Guest, &[]),
    screen("today", "/", User, &[]),
    screen("day", "/day/{yesterday}", User, &[]),
    screen(
        "today-entry-edit",
        "/",
        User,
        &[
            Click("#day .entries summary"),
            Wait("#day .entries details[open] .edit"),
        ],
    ),
    screen("add-food", "/", User, &[OPEN_SHEET, SHEET_OPEN]),
    screen(
        "add-food-search",
        "/",
        User,
        &[
            OPEN_SHEET,
            SHEET_OPEN,
            Fill("#food-q", "banana"),
            WaitText("#food-results", "Best matches"),
        ],
    ),
    screen(
        "add-food-pick",
        "/",
        User,
        &[
            OPEN_SHEET,
            SHEET_OPEN,
            Fill("#food-q", "whole milk"),
            WaitText("#food-results", "Best matches"),
            Click("#food-results .results a"),
            Wait("dialog#sheet[open] #pk-q"),
        ],
    ),
    screen(
        "add-food-quick",
        "/",
        User,
        &[
            OPEN_SHEET,
            SHEET_OPEN,
            Click("#sheet-body nav a[href*='tab=quick']"),
            Wait("dialog#sheet[open] #qa-kcal"),
        ],
    ),
    screen(
        "add-food-barcode",
        "/",
        User,
        &[
            OPEN_SHEET,
            SHEET_OPEN,
            Click("#sheet-body nav a[href*='tab=barcode']"),
            Wait("dialog#sheet[open] #bc"),
        ],
    ),
    screen("add-food-page", "/add?meal=breakfast", User, &[]),
    screen(
        "add-food-create-page",
        "/add?meal=lunch&tab=create",
        User,
        &[],
    ),
    screen("onboarding", "/onboarding", Newcomer, &[]),
    screen("checkin", "/checkin", User, &[]),
    screen("exercise", "/exercise", User, &[]),
    // Logging a strength exercise: the sheet with its set rows.
    screen(
        "exercise-log",
        "/exercise?q=bench+press",
        User,
        &[Click("ul.results a"), Wait("dialog#sheet[open] #log-form")],
    ),
    // A workout opened in the history (its notes), and its form to change it.
    screen(
        "exercise-workout-open",
        "/exercise",
        User,
        &[
            Click("section[aria-labelledby='hist-h'] .entries summary"),
            Wait("section[aria-labelledby='hist-h'] .entries details[open] .edit"),
        ],
    ),
    screen(
        "exercise-workout-edit",
        "/exercise",
        User,
        &[
            Click("section[aria-labelledby='hist-h'] .entries summary"),
            Click("section[aria-labelledby='hist-h'] .entries details[open] .edit a"),
            Wait("#log-form button.primary"),
        ],
    ),
    // An exercise the catalog lacks, made from the search that found nothing.
    screen(
        "exercise-new",
        "/exercise/new?name=Sled+push",
        User,
        &[Wait("#exf-name")],
    ),
    screen("plans", "/plans", User, &[]),
    // A plan opened, and a food picked to add on some days of the week.
    screen(
        "plan",
        "/plans",
        User,
        &[Click("ul.results a"), Wait("#apply-h")],
    ),
    screen(
        "plan-add-food",
        "/plans",
        User,
        &[
            Click("ul.results a"),
            Fill("#item-q", "banana"),
            WaitText("#item-results", "Bananas"),
            Click("#item-results ul.results a"),
            Wait("input[name=day_0]"),
        ],
    ),
    screen("recipes", "/recipes", User, &[]),
    // One recipe, opened from the list.
    screen(
        "recipe",
        "/recipes",
        User,
        &[Click("ul.results a"), Wait("#ingredients-h")],
    ),
    // What deleting a recipe shows when no script asked first: the page asking.
    screen(
        "recipe-delete-asks",
        "/recipes",
        User,
        &[
            Click("ul.results a"),
            Wait("#ingredients-h"),
            Submit("form[action$='/delete'].top-gap"),
            WaitText("h1", "Delete the recipe"),
        ],
    ),
    screen("foods", "/foods", User, &[]),
    // One of the user's own foods, opened from My foods: its servings and the form.
    screen(
        "food",
        "/foods",
        User,
        &[Click("ul.results a[href^='/foods/']"), Wait("#edit-h")],
    ),
    screen("goals", "/goals", User, &[]),
    screen("reports", "/reports", User, &[]),
    screen("reports-year", "/reports?days=365", User, &[]),
    screen("settings", "/settings", User, &[]),
    screen("settings-security", "/settings/security", User, &[]),
    screen("settings-family", "/settings/family", User, &[]),
    screen("settings-assistant", "/settings/assistant", User, &[]),
    // The administrator's accounts (Sam registered first), one opened.
    screen("settings-accounts", "/settings/accounts", User, &[]),
    screen(
        "settings-account-open",
        "/settings/accounts",
        User,
        &[
            Click("ul.accounts li:nth-child(2) summary"),
            Wait("ul.accounts details[open] form[action$='/password']"),
        ],
    ),
    // A password link made for Nia, shown on her row; then the page it opens.
    screen(
        "settings-account-link",
        "/settings/accounts",
        User,
        &[
            Click("ul.accounts li:nth-child(2) summary"),
            Submit("ul.accounts details[open] form[action$='/link']"),
            Wait("ul.accounts details[open] input[id^='link-']"),
        ],
    ),
    screen(
        "set-password",
        "/settings/accounts",
        User,
        &[
            Click("ul.accounts li:nth-child(2) summary"),
            Submit("ul.accounts details[open] form[action$='/link']"),
            OpenValue("ul.accounts details[open] input[id^='link-']"),
            Wait("form[action='/set-password'] #password"),
        ],
    ),
    screen("set-password-used", "/set-password?token=used", Guest, &[]),
    // "Forgot your password?" on a server that sends no e-mail: it says whom to ask.
    screen("forgot-password", "/forgot-password", Guest, &[]),
    // Back on the page later: the link waits, and can be withdrawn.
    screen(
        "settings-account-link-waiting",
        "/settings/accounts",
        User,
        &[
            Click("ul.accounts li:nth-child(2) summary"),
            Submit("ul.accounts details[open] form[action$='/link']"),
            Wait("ul.accounts details[open] input[id^='link-']"),
            Goto("/settings/accounts"),
            Click("ul.accounts li:nth-child(2) summary"),
            Wait("ul.accounts details[open] form[action$='/cancel-link']"),
        ],
    ),
    // The assistant's drawer over Today (no provider here: the empty conversation).
    screen(
        "assistant",
        "/",
        User,
        &[Click("#chat-open"), Wait("dialog#chat[open] #chat-input")],
    ),
    screen("offline", "/offline", Guest, &[]),
    screen("not-found", "/no-such-page", Guest, &[]),
];
