//! Hand-written conveniences on generated types: what every integration computes by hand.

use crate::generated::types::Credits;

impl Credits {
    /// Credits left to spend: `total_credits − total_usage`, in USD.
    ///
    /// This is the account's balance. A single API key may also have its own spending limit:
    /// `GET /key`'s `limit_remaining` (`client.api_keys().get_current_key()`) is what that key
    /// may still spend, which can be less.
    ///
    /// ```
    /// # use openrouter_credits::types::Credits;
    /// let credits: Credits = serde_json::from_str(r#"{"total_credits": 100.5, "total_usage": 25.75}"#).unwrap();
    /// assert_eq!(credits.remaining(), 74.75);
    /// ```
    pub fn remaining(&self) -> f64 {
        self.total_credits - self.total_usage
    }
}
