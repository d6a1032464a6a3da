"""Every component id of the dashboard, defined once (layouts, callbacks and browser tests import them)."""

# shell
APP = "app-shell"                  # the page's outer element: its classes say which screen, tabs and buttons show
URL = "url"
STATE = "state"                    # dcc.Store {"lang": "fr"|"en", "client": int|None} mirrored in the URL
LANG = "lang-switch"
USER = "signed-in-user"
SIGN_OUT = "sign-out"
TITLE = "app-title"
TABS = "screen-tabs"               # the tab list (role=tablist) of one button per screen
SCREEN = "active-screen"           # dcc.Store: name of the screen shown (one of SCREENS)
CLIENT_STRIP = "client-strip"      # sticky strip naming the open client on every client screen
STRIP_FACTS = "client-strip-facts" # client number, credit asked, date
CLOSE_CLIENT = "close-client"      # ends the meeting: back to the manager's search screen
TEXT = "t"                         # pattern-matching type of every translated static text: {"type": TEXT, "key": ...}

# tab ids (values of TABS.active_tab) and the id of each screen's container / tab
SCREENS = ("search", "score", "why", "simulate", "profile", "compare", "file", "model", "drift")
#: Screens of one client: shown only while a client is open (meeting mode). The search screen,
#: where other clients' rows are listed, is shown only while none is.
CLIENT_SCREENS = ("score", "why", "simulate", "profile", "compare", "file")
#: The manager's screens (the model, its data's drift): reachable without a client, and with one only
#: once the manager has opened the back office (BACK_OFFICE), never by the client's accident.
MANAGER_SCREENS = ("model", "drift")
#: Screens drawn from a view store (see ``view``): computed when shown, blanked once their client is gone.
VIEW_SCREENS = ("score", "why", "profile", "compare", "file", "model", "drift")
NAV_KEYS = {"search": "nav.search", "score": "nav.score", "why": "nav.explanation", "simulate": "nav.simulate",
            "profile": "nav.profile", "compare": "nav.compare", "file": "nav.file", "model": "nav.model",
            "drift": "nav.drift"}


def screen(name: str) -> str:
    return f"screen-{name}"


def tab(name: str) -> str:
    return f"tab-{name}"


def view(name: str) -> str:
    """dcc.Store of what a screen shows, {"lang", "client"[, "expert"]}, written in the browser
    (callbacks.shell) when the screen is shown and its content is not that one; {"client": None}
    blanks a hidden screen whose client is gone. Its callbacks listen to it, not to the state."""
    return f"view-{name}"


#: The screen as the what-if screen's callbacks see it: "simulate" once that screen is shown for the open
#: file, "search" once the file is closed; other tab switches leave it alone (no request for nothing).
SIM_SCREEN = "sim-screen"

# the back office (manager only): Model, Drift and the expert mode while a file is open
BACK_OFFICE = "back-office"                # dcc.Store: the client whose file the manager opened it on, or None
BACK_OFFICE_WRAP = "back-office-wrap"      # top bar: its two buttons, shown while a file is open
BACK_OFFICE_OPEN = "back-office-open"      # asks to show the manager's tools (a confirmation first)
BACK_OFFICE_CLOSE = "back-office-close"    # hides them again, at once
BACK_OFFICE_DIALOG = "back-office-dialog"  # dbc.Modal: "turn the screen away from the client"
BACK_OFFICE_CONFIRM = "back-office-confirm"
BACK_OFFICE_CANCEL = "back-office-cancel"
FILE_HEADING = "file-heading"              # the open file's heading (client number): focused when the file opens


# find a client
SEARCH = "client-search"                         # dcc.Dropdown with server-side suggestions
FILTER_PREFIX = "filter-"                        # + name of model.clients.directory.FILTERS
FILTER_NAMES = ("contract", "gender", "age_band", "income_band", "family", "decision")


def filter_id(name: str) -> str:
    return FILTER_PREFIX + name


FILTER_RESET = "filter-reset"
FILTER_ERROR = "filter-error"
CLIENT_TABLE = "client-table"                    # html.Table of one page of clients
OPEN_CLIENT = "open-client"                      # pattern-matching type of each row's button {"type", "client"}
CLIENT_PAGE = "client-page"                      # dcc.Store: page number of the list (from 0)
PAGE_PREVIOUS = "page-previous"
PAGE_NEXT = "page-next"
PAGE_INFO = "page-info"
RESULT_COUNT = "result-count"

# score
GAUGE = "score-gauge"
DECISION = "score-decision"                      # badge: icon + words + colour
DECISION_SENTENCE = "score-decision-sentence"
PROBABILITY_TEXT = "score-probability"
GRADE_TEXT = "score-grade"
REASONS = "score-reasons"
SCORE_EMPTY = "score-empty"
SCORE_REVIEW = "score-review"                    # the latest human review of this file, if any

# why
WATERFALL = "why-waterfall"
EXPERT = "why-expert"
EXPERT_WRAP = "why-expert-wrap"                 # shown only in the back office
RAISING = "why-raising"
LOWERING = "why-lowering"

# simulation (what-if) and counter-offer
LEVER_PREFIX = "lever-"                          # + the application column (model.simulation.LEVERS)


def lever(name: str) -> str:
    return LEVER_PREFIX + name


SIM_TERM = "sim-term"
SIM_RESET = "sim-reset"
SIM_ERROR = "sim-error"
SIM_GAUGE = "sim-gauge"
SIM_DECISION = "sim-decision"
SIM_PROBABILITY = "sim-probability"
SIM_GRADE = "sim-grade"
SIM_CHANGES = "sim-changes"
SIM_REASONS = "sim-reasons"
OFFER_SEARCH = "offer-search"
OFFER_BODY = "offer-body"
OFFER_SHARE = "offer-share"
OFFER_APPLY = "offer-apply"                      # pattern-matching type of each proposal's button {"type", "index"}
OFFER_STORE = "offer-store"                      # dcc.Store: the proposals shown (levers), for their buttons

# the client's file: letter, score history, human review
LETTER_LINK = "letter-link"
HISTORY_BODY = "history-body"
REVIEW_LIST = "review-list"
REVIEW_FORM_WRAP = "review-form-wrap"
REVIEW_VERDICT = "review-verdict"
REVIEW_DECISION = "review-decision"
REVIEW_DECISION_WRAP = "review-decision-wrap"     # shown for an override only
REVIEW_REASON = "review-reason"
REVIEW_SUBMIT = "review-submit"
REVIEW_MESSAGE = "review-message"

# profile
PROFILE_GROUPS = "profile-groups"                # dbc.Checklist of vocabulary groups
PROFILE_FIELDS = "profile-fields"                # dcc.Dropdown (multi) of fields; empty = the main ones
PROFILE_BODY = "profile-body"

# compare
COMPARE_FEATURE = "compare-feature"
COMPARE_DISTRIBUTION = "compare-distribution"
COMPARE_PROFILE = "compare-profile"
COMPARE_SUMMARY = "compare-summary"
COMPARE_MESSAGE = "compare-message"

# model
IMPORTANCE = "model-importance"
MODEL_CARD = "model-card"

# drift
DRIFT_BODY = "drift-body"                        # filled when the tab opens: summary, or how to produce it
DRIFT_STATUS = "drift-status"                    # badge: icon + words + colour, the data as a whole
DRIFT_FACTS = "drift-facts"
DRIFT_TABLE = "drift-table"
DRIFT_REPORT_LINK = "drift-report-link"
DRIFT_MESSAGE = "drift-message"                  # no summary yet / unreadable summary
# drift period
DRIFT_HEADING = "drift-heading"                  # what the summary shown compares (a period, or the saved check)
DRIFT_PERIOD = "drift-period"                    # dcc.DatePickerRange: the days of scored applications compared
DRIFT_PERIOD_RUN = "drift-period-run"            # runs the comparison on the store's applications of the period
DRIFT_SAVED = "drift-saved"                      # back to the saved (file-based) check
DRIFT_PERIOD_RESULT = "drift-period-result"      # dcc.Store: the period's result (summary dict or why there is none)

#: Every dcc.Dropdown of the page: their own texts ("Search", "No options found") follow the language.
DROPDOWNS = (SEARCH, *(filter_id(n) for n in FILTER_NAMES), PROFILE_FIELDS, COMPARE_FEATURE)
