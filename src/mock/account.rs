//! The account the fake server keeps across requests: a balance that `GET /credits` reports and
//! charges add to, and charges that look like Coinbase's. Applied over the spec's default answer
//! by JSON pointer and operation id, so a renamed or new field, or a new operation, needs no edit
//! here; a pointer the answer lacks is skipped.

use crate::timestamp::{DAY, civil_from_days, days_from_civil};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// The operation ids the account follows.
pub(super) const CREDITS: &str = "getCredits";
pub(super) const CHARGE: &str = "createCoinbaseCharge";
pub(super) const KEY: &str = "getCurrentKey";

/// The fields `GET /key` gained in autumn 2026, absent from its August 2026 shape.
const NEWEST_KEY_FIELDS: [&str; 6] = [
    "budgets",
    "effective_budget",
    "free_model_daily_requests",
    "allowed_data_regions",
    "organization_id",
    "workspace_id",
];

/// USDC on Ethereum: the currency Coinbase charges settle in.
const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

/// What a model call costs on the fake server unless a test sets it (USD).
pub const DEFAULT_MODEL_CALL_COST: f64 = 0.01;

#[derive(Clone, Debug)]
pub(super) struct Account {
    pub(super) total_credits: f64,
    pub(super) total_usage: f64,
    charges: u64,
    /// The key's own limit (`None`: no limit), when it resets (`None`: never) and its usage.
    pub(super) key_limit: Option<f64>,
    pub(super) key_limit_reset: Option<String>,
    pub(super) key_usage: f64,
    /// The key's usage in the current UTC day, week and month, each at most the one after it.
    pub(super) key_usage_windows: [f64; 3],
    /// What a model call costs (USD); a `:free` model costs nothing.
    pub(super) model_call_cost: f64,
    pub(super) budgets: Vec<MockBudget>,
    /// Free-model requests per UTC day: the limit and those used.
    pub(super) free_model_requests: (i64, i64),
    pub(super) key_shape: KeyShape,
}

impl Default for Account {
    /// Upstream's examples: 100.5 credits bought, 25.75 used; a key limited to 100 USD with
    /// 25.5 used; a weekly member budget of 50 USD with 32.5 spent; 12 of 50 free-model requests.
    fn default() -> Self {
        Self {
            total_credits: 100.5,
            total_usage: 25.75,
            charges: 0,
            key_limit: Some(100.0),
            key_limit_reset: Some("monthly".to_owned()),
            key_usage: 25.5,
            // Upstream's example: all of it today.
            key_usage_windows: [25.5; 3],
            model_call_cost: DEFAULT_MODEL_CALL_COST,
            budgets: vec![
                MockBudget::new("member", 50.0, 32.5).id("0df9e665-d932-5740-b2c7-b52af166bc11").resets("weekly"),
            ],
            free_model_requests: (50, 12),
            key_shape: KeyShape::Newest,
        }
    }
}

/// Which shape of `GET /key` the fake server answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyShape {
    /// Upstream's newest (autumn 2026): budget layers, the free-model quota, regions, the
    /// organization and workspace.
    #[default]
    Newest,
    /// The August 2026 shape, without those six fields (an older deployment, a proxy).
    August,
}

/// A budget layer `GET /key` reports on the fake server
/// ([`MockServer::set_budgets`](super::MockServer::set_budgets)).
///
/// ```
/// use openrouter_credits::mock::MockBudget;
/// let workspace = MockBudget::new("workspace", 10.0, 8.0).id("ws-1").resets("daily");
/// # let _ = workspace;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MockBudget {
    pub(super) scope: String,
    id: Option<String>,
    pub(super) limit_usd: f64,
    pub(super) spend_usd: f64,
    pub(super) reset_interval: Option<String>,
}

impl MockBudget {
    /// A lifetime budget (it never resets) of `scope` as on the wire (`member`, `api_key`,
    /// `workspace`, `workspace_default_member`, `workspace_default_key`, `key_limit`, or a
    /// value upstream has not documented yet), limited to `limit_usd` with `spend_usd` spent.
    pub fn new(scope: impl Into<String>, limit_usd: f64, spend_usd: f64) -> Self {
        Self { scope: scope.into(), id: None, limit_usd, spend_usd, reset_interval: None }
    }

    /// Its id: the workspace budget's `budget_id` for the `workspace` scope, the guardrail's id
    /// for the others.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Resets every UTC `daily`, `weekly` (on Mondays) or `monthly` window (or another
    /// interval's name, sent as given); `resets_at` is the next such boundary from now.
    pub fn resets(mut self, interval: impl Into<String>) -> Self {
        self.reset_interval = Some(interval.into());
        self
    }

    fn to_json(&self, now: SystemTime) -> Value {
        let workspace = self.scope == "workspace";
        json!({
            "scope": self.scope,
            "guardrail_id": if workspace { None } else { self.id.clone() },
            "budget_id": if workspace { self.id.clone() } else { None },
            "limit_usd": self.limit_usd,
            "spend_usd": self.spend_usd,
            "remaining_usd": self.limit_usd - self.spend_usd,
            "reset_interval": self.reset_interval,
            "resets_at": self.reset_interval.as_deref().map(|i| stamp_millis(next_reset(now, i))),
            "include_byok": false,
        })
    }
}

impl Account {
    /// Adjusts `answer`, the default answer to `operation_id` for a request with this body.
    pub(super) fn apply(&mut self, operation_id: &str, request: Option<&Value>, answer: &mut Value) {
        match operation_id {
            CREDITS => {
                set(answer, "/data/total_credits", json!(self.total_credits));
                set(answer, "/data/total_usage", json!(self.total_usage));
            }
            CHARGE => self.charge(request.unwrap_or(&Value::Null), answer),
            KEY => self.key(answer),
            _ => {}
        }
    }

    /// `GET /key`: the key's limit and usage, every budget layer (the key's own limit last, as
    /// upstream lists it), the one that blocks first, and the free-model quota.
    fn key(&self, answer: &mut Value) {
        let now = SystemTime::now();
        let remaining = self.key_limit.map(|limit| limit - self.key_usage);
        set(answer, "/data/limit", json!(self.key_limit));
        set(answer, "/data/limit_remaining", json!(remaining));
        set(answer, "/data/usage", json!(self.key_usage));
        set(answer, "/data/limit_reset", json!(self.key_limit_reset));
        for (pointer, usage) in
            ["/data/usage_daily", "/data/usage_weekly", "/data/usage_monthly"].iter().zip(self.key_usage_windows)
        {
            set(answer, pointer, json!(usage));
        }
        let mut budgets: Vec<Value> = self.budgets.iter().map(|b| b.to_json(now)).collect();
        if let Some(limit) = self.key_limit {
            let own = MockBudget::new("key_limit", limit, self.key_usage);
            let mut own = own.to_json(now);
            // The key's limit resets as `limit_reset` says (null: never).
            let reset = self.key_limit_reset.clone();
            own["reset_interval"] = json!(reset);
            own["resets_at"] = json!(reset.as_deref().map(|i| stamp_millis(next_reset(now, i))));
            budgets.push(own);
        }
        let effective = effective(&budgets);
        set(answer, "/data/budgets", Value::Array(budgets));
        set(answer, "/data/effective_budget", effective);
        let (limit, used) = self.free_model_requests;
        set(
            answer,
            "/data/free_model_daily_requests",
            json!({"limit": limit, "used": used, "remaining": (limit - used).max(0)}),
        );
        if self.key_shape == KeyShape::August
            && let Some(data) = answer.get_mut("data").and_then(Value::as_object_mut)
        {
            for field in NEWEST_KEY_FIELDS {
                data.remove(field);
            }
        }
    }

    /// Charges `usd` to every layer a paid request counts against: the account's usage, the
    /// key's usage and its day, week and month, and every budget's spend.
    pub(super) fn spend(&mut self, usd: f64) {
        self.total_usage += usd;
        self.key_usage += usd;
        self.key_usage_windows.iter_mut().for_each(|u| *u += usd);
        self.budgets.iter_mut().for_each(|b| b.spend_usd += usd);
    }

    /// Sets the key's usage, keeping each window at most the one after it and the total.
    pub(super) fn set_key_usage(&mut self, usage: f64, windows: Option<[f64; 3]>) {
        self.key_usage = usage;
        let [daily, weekly, monthly] = windows.unwrap_or(self.key_usage_windows);
        let monthly = monthly.min(usage);
        let weekly = weekly.min(monthly);
        self.key_usage_windows = [daily.min(weekly), weekly, monthly];
    }

    fn charge(&mut self, request: &Value, answer: &mut Value) {
        let amount = request.get("amount").and_then(Value::as_f64).unwrap_or(0.0);
        let sender = request.get("sender").cloned().unwrap_or(Value::Null);
        self.charges += 1;
        // As if paid at once: the next GET /credits shows it.
        self.total_credits += amount;
        let n = self.charges;
        let now = SystemTime::now();
        let expires = stamp(now + Duration::from_secs(3600));
        let micros = (amount * 1_000_000.0).round() as u64;
        let fee = micros / 20; // upstream's 5% crypto fee
        let call = "/data/web3_data/transfer_intent/call_data";
        let meta = "/data/web3_data/transfer_intent/metadata";
        for (pointer, value) in [
            ("/data/id".to_owned(), json!(format!("00000000-0000-4000-8000-{n:012x}"))),
            ("/data/created_at".to_owned(), json!(stamp(now))),
            ("/data/expires_at".to_owned(), json!(expires)),
            (format!("{call}/deadline"), json!(expires)),
            (format!("{call}/fee_amount"), json!(fee.to_string())),
            (format!("{call}/id"), json!(format!("0x{n:064x}"))),
            (format!("{call}/operator"), json!("0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4")),
            (format!("{call}/prefix"), json!("0x4b3220496e766f69636520")),
            (format!("{call}/recipient"), json!("0x1f9840a85d5af5bf1d1762f925bdaddc4201f984")),
            (format!("{call}/recipient_amount"), json!((micros - fee).to_string())),
            (format!("{call}/recipient_currency"), json!(USDC)),
            (format!("{call}/refund_destination"), sender.clone()),
            (format!("{call}/signature"), json!(format!("0x{n:0130x}"))),
            (format!("{meta}/chain_id"), request.get("chain_id").cloned().unwrap_or(Value::Null)),
            (format!("{meta}/contract_address"), json!("0x3a4f3f0c6c1b9b1c5d0e2f1a7b8c9d0e1f2a3b4c")),
            (format!("{meta}/sender"), sender.clone()),
        ] {
            set(answer, &pointer, value);
        }
    }
}

fn stamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Upstream's form: `2026-10-12T00:00:00.000Z`.
pub(super) fn stamp_millis(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Upstream's `effective_budget`: the first layer already spent, else the one with the least
/// left; null when nothing is budgeted.
fn effective(budgets: &[Value]) -> Value {
    let left = |b: &Value| b.get("remaining_usd").and_then(Value::as_f64).unwrap_or(f64::INFINITY);
    let spent = budgets.iter().find(|b| left(b) <= 0.0);
    let least = budgets.iter().fold(None, |best: Option<&Value>, b| match best {
        Some(best) if left(best) <= left(b) => Some(best),
        _ => Some(b),
    });
    spent.or(least).cloned().unwrap_or(Value::Null)
}

/// The next UTC boundary of `interval` after `now`: midnight, Monday midnight, or the first of
/// the next month; a day ahead for an interval the mock does not know.
pub(super) fn next_reset(now: SystemTime, interval: &str) -> SystemTime {
    let secs = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / DAY;
    let next_day = match interval {
        // 1970-01-01 was a Thursday: Monday is day 4 of the cycle.
        "weekly" => days + 7 - (days + 3) % 7,
        "monthly" => {
            let (y, m, _) = civil_from_days(days);
            let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            days_from_civil(y, m, 1)
        }
        _ => days + 1,
    };
    SystemTime::UNIX_EPOCH + Duration::from_secs(next_day * DAY)
}

/// Replaces the value at `pointer` if the answer has one there.
fn set(answer: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = answer.pointer_mut(pointer) {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(days * DAY + 3_600)
    }

    #[test]
    fn resets_fall_on_the_next_utc_boundary() {
        // 2026-12-06 is a Sunday: day 20_793.
        assert_eq!(days_from_civil(2026, 12, 6), 20_793);
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
        assert_eq!(stamp(next_reset(at(20_793), "daily")), "2026-12-07T00:00:00Z");
        assert_eq!(stamp(next_reset(at(20_793), "weekly")), "2026-12-07T00:00:00Z");
        assert_eq!(stamp(next_reset(at(20_794), "weekly")), "2026-12-14T00:00:00Z");
        assert_eq!(stamp(next_reset(at(20_793), "monthly")), "2027-01-01T00:00:00Z");
        assert_eq!(stamp(next_reset(at(days_from_civil(2028, 2, 29)), "monthly")), "2028-03-01T00:00:00Z");
    }
}
